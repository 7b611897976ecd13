//! Unit tests that drive the macros through their `proc_macro2` entry
//! points: expansion snapshots and property tests.

mod properties;
mod snapshots;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, File, ImplItem, Item, ItemImpl};

/// Expands every `#[process]` struct and `#[teardown]` / `#[run]` /
/// `#[init]` method of
/// `file`, as the compiler would (top-level items only).
pub(crate) fn expand_file(file: &File) -> File {
    let mut items = Vec::new();
    for item in &file.items {
        match item {
            Item::Struct(item) => {
                let mut item = item.clone();
                match take_attr(&mut item.attrs, "process") {
                    Some(args) => items.extend(parse_items(expand_process(args, quote!(#item)))),
                    None => items.push(Item::Struct(item)),
                }
            }
            Item::Impl(item) => items.push(Item::Impl(expand_impl(item))),
            other => items.push(other.clone()),
        }
    }
    File {
        shebang: file.shebang.clone(),
        frontmatter: file.frontmatter.clone(),
        attrs: file.attrs.clone(),
        items,
    }
}

/// `#[process(args)]` on `item`, then its internal derive, as the
/// compiler would run them (there is no `cfg` to resolve in between).
pub(crate) fn expand_process(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut output = TokenStream::new();
    for item in parse_items(crate::expand::process(args, item)) {
        let Item::Struct(mut item) = item else {
            output.extend(quote!(#item));
            continue;
        };
        let derive = item.attrs.iter().position(|attr| {
            attr.path().is_ident("derive")
                && attr.meta.require_list().is_ok_and(|list| {
                    list.tokens
                        .to_string()
                        .replace(' ', "")
                        .ends_with("__private::Spec")
                })
        });
        if let Some(derive) = derive {
            item.attrs.remove(derive);
            output.extend(quote!(#item));
            output.extend(crate::derive::derive(quote!(#item)));
        } else {
            output.extend(quote!(#item));
        }
    }
    output
}

fn expand_impl(item: &ItemImpl) -> ItemImpl {
    let mut expanded = item.clone();
    expanded.items.clear();
    for impl_item in &item.items {
        let ImplItem::Fn(method) = impl_item else {
            expanded.items.push(impl_item.clone());
            continue;
        };
        let mut method = method.clone();
        let output = if let Some(args) = take_attr(&mut method.attrs, "teardown") {
            crate::teardown::teardown(args, quote!(#method))
        } else if let Some(args) = take_attr(&mut method.attrs, "run") {
            crate::run::run(args, quote!(#method))
        } else if let Some(args) = take_attr(&mut method.attrs, "init") {
            crate::init::init(args, quote!(#method))
        } else {
            expanded.items.push(ImplItem::Fn(method));
            continue;
        };
        let wrapper: ItemImpl = syn::parse2(quote!(impl X { #output }))
            .expect("the method macros expand to impl items");
        expanded.items.extend(wrapper.items);
    }
    expanded
}

/// Removes the first `#[name]` / `#[path::name(args)]` and returns its
/// arguments.
fn take_attr(attrs: &mut Vec<Attribute>, name: &str) -> Option<TokenStream> {
    let index = attrs.iter().position(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == name)
    })?;
    let attr = attrs.remove(index);
    Some(match attr.meta {
        syn::Meta::List(list) => list.tokens,
        _ => TokenStream::new(),
    })
}

/// The items of a macro's output, which must always parse.
pub(crate) fn parse_items(output: TokenStream) -> Vec<Item> {
    match syn::parse2::<File>(output.clone()) {
        Ok(file) => file.items,
        Err(error) => panic!("the expansion does not parse ({error}):\n{output}"),
    }
}
