use goprocess::process;

#[process]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
