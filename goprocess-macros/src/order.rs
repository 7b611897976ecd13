//! The shutdown order: topological layers of the "waits for" graph among
//! sibling `#[child]` fields, or the cycles that prevent one.
//!
//! Nodes are indices `0..n`; `waits[a]` lists the nodes `a` waits for (they
//! must close before `a` starts closing). Pure and total: no input panics.

use std::collections::VecDeque;

/// The stages of a graph without cycles: stage 0 holds the nodes that wait
/// for nothing, stage `k` the nodes whose targets all sit in earlier stages,
/// at least one of them in stage `k - 1`. Nodes keep index order in a stage.
///
/// With cycles, returns one cycle per strongly connected component that has
/// one, each as the path `[a, b, …]` meaning `a` waits for `b` … waits for
/// `a`. Components are reported in order of their smallest node, and each
/// cycle is a shortest one through that node.
pub(crate) fn stages(waits: &[Vec<usize>]) -> Result<Vec<Vec<usize>>, Vec<Vec<usize>>> {
    let n = waits.len();
    let targets: Vec<Vec<usize>> = waits
        .iter()
        .map(|targets| {
            let mut targets: Vec<usize> = targets.iter().copied().filter(|t| *t < n).collect();
            targets.sort_unstable();
            targets.dedup();
            targets
        })
        .collect();
    let mut waiters: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (node, targets) in targets.iter().enumerate() {
        for &target in targets {
            waiters[target].push(node);
        }
    }

    let mut pending: Vec<usize> = targets.iter().map(Vec::len).collect();
    let mut stages = Vec::new();
    let mut stage: Vec<usize> = (0..n).filter(|node| pending[*node] == 0).collect();
    let mut placed = 0;
    while !stage.is_empty() {
        placed += stage.len();
        let mut next = Vec::new();
        for &node in &stage {
            for &waiter in &waiters[node] {
                pending[waiter] -= 1;
                if pending[waiter] == 0 {
                    next.push(waiter);
                }
            }
        }
        next.sort_unstable();
        stages.push(std::mem::replace(&mut stage, next));
    }
    if placed == n {
        return Ok(stages);
    }

    // Every node left waits, directly or not, for a cycle among the nodes left.
    let left: Vec<bool> = pending.iter().map(|p| *p > 0).collect();
    let mut assigned = vec![false; n];
    let mut cycles = Vec::new();
    for start in 0..n {
        if !left[start] || assigned[start] {
            continue;
        }
        let forward = reach(start, &targets, &left);
        let backward = reach(start, &waiters, &left);
        let component: Vec<bool> = (0..n).map(|v| forward[v] && backward[v]).collect();
        for (v, inside) in component.iter().enumerate() {
            if *inside {
                assigned[v] = true;
            }
        }
        if let Some(cycle) = shortest_cycle(start, &targets, &component) {
            cycles.push(cycle);
        }
    }
    Err(cycles)
}

/// Nodes reachable from `start` (itself included) through `edges`, staying
/// among the `allowed` ones.
fn reach(start: usize, edges: &[Vec<usize>], allowed: &[bool]) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    seen[start] = true;
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &next in &edges[node] {
            if allowed[next] && !seen[next] {
                seen[next] = true;
                queue.push_back(next);
            }
        }
    }
    seen
}

/// A shortest cycle through `start` inside `component`, as the path from
/// `start` up to (not including) its return to `start`.
fn shortest_cycle(start: usize, edges: &[Vec<usize>], component: &[bool]) -> Option<Vec<usize>> {
    let mut parent: Vec<Option<usize>> = vec![None; edges.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &next in &edges[node] {
            if !component[next] {
                continue;
            }
            if next == start {
                let mut path = vec![node];
                let mut at = node;
                while at != start {
                    at = parent[at]?;
                    path.push(at);
                }
                path.reverse();
                return Some(path);
            }
            if parent[next].is_none() {
                parent[next] = Some(node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::stages;

    #[test]
    fn no_edges_is_one_stage() {
        assert_eq!(stages(&[vec![], vec![], vec![]]), Ok(vec![vec![0, 1, 2]]));
    }

    #[test]
    fn empty_graph_has_no_stages() {
        assert_eq!(stages(&[]), Ok(vec![]));
    }

    #[test]
    fn chain_and_diamond() {
        // 1 waits for 0, 2 waits for 0, 3 waits for 1 and 2, 4 waits for 0 and 3.
        let waits = [vec![], vec![0], vec![0], vec![1, 2], vec![3, 0]];
        assert_eq!(
            stages(&waits),
            Ok(vec![vec![0], vec![1, 2], vec![3], vec![4]])
        );
    }

    #[test]
    fn two_cycle() {
        assert_eq!(stages(&[vec![1], vec![0]]), Err(vec![vec![0, 1]]));
    }

    #[test]
    fn self_loop_is_a_cycle() {
        assert_eq!(stages(&[vec![0]]), Err(vec![vec![0]]));
    }

    #[test]
    fn cycles_are_reported_once_per_component_and_shortest() {
        // 0 -> 1 -> 2 -> 0 and 1 -> 0 (shorter); 3 waits for the cycle;
        // 4 <-> 5 is a second component.
        let waits = [vec![1], vec![2, 0], vec![0], vec![2], vec![5], vec![4]];
        assert_eq!(stages(&waits), Err(vec![vec![0, 1], vec![4, 5]]));
    }

    #[test]
    fn out_of_range_targets_are_ignored() {
        assert_eq!(stages(&[vec![7]]), Ok(vec![vec![0]]));
    }
}
