//! The expansion: machine code in `static`s behind an install-once site, under `cfg` for each
//! calling convention, and a plain-Rust function for every other target.
//!
//! The functions that write paths take `private`: the path of trivial-jit's `__private`
//! module as the expansion reaches it (`::trivial_jit::__private`, or under `crate = path`).

use crate::ast::{Input, Mode};
use crate::valid::Checked;
use jit_compiler::codegen::Compiled;
use jit_compiler::codegen::steps::{Step, Steps, steps};
use jit_compiler::{Ast, Node, NodeId};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

/// Generates the macro's output.
pub fn expand(input: &Input, checked: &Checked) -> TokenStream {
    let consts = fn_consts(input, checked);
    // where the expansion finds what it refers to: `crate = path`, else the crate's own
    // name; spanned as the path was written, so that a wrong one is reported there
    let private = match &input.krate {
        Some(path) => {
            let span = syn::spanned::Spanned::span(path);
            quote_spanned!(span=> #path::__private)
        }
        None => quote!(::trivial_jit::__private),
    };
    let body = match input.mode {
        Mode::Function => function(checked, &private),
        Mode::Win64 => raw_block(&checked.win64, &[], &private),
        Mode::Rust => rust_fn(checked, &private),
    };
    if consts.is_empty() {
        body
    } else {
        quote! {{
            #(#consts)*
            #body
        }}
    }
}

/// `f64` in the expansion, written `::core::primitive::f64`: an item named `f64` in scope at
/// the call site would otherwise take the primitive type's place (as would one named `u8` or
/// `u32` in the statics' types, also written in full).
struct F64;

impl quote::ToTokens for F64 {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(quote!(::core::primitive::f64));
    }
}

/// The name of the `const` holding user function `i` as a fn pointer.
fn fn_const(i: usize) -> Ident {
    format_ident!("__JIT_EXPR_FN{}", i, span = Span::mixed_site())
}

/// One `const` per user function: `const __JIT_EXPR_FN0: extern "C" fn(f64) -> f64 = path;`.
/// This is the type check: a path that is not a function of that type (or not an item) is a
/// compile error on the path as written. Everything else refers to these consts.
fn fn_consts(input: &Input, checked: &Checked) -> Vec<TokenStream> {
    input
        .fns
        .iter()
        .zip(&checked.fn_arities)
        .enumerate()
        .map(|(i, (f, &arity))| {
            let name = fn_const(i);
            let path = &f.path;
            let span = syn::spanned::Spanned::span(path);
            let args = (0..arity).map(|_| F64);
            let ty = quote_spanned!(span=> extern "C" fn(#(#args),*) -> #F64);
            quote! {
                const #name: #ty = #path;
            }
        })
        .collect()
}

/// `extern "C" fn(f64, ..) -> f64` for up to 8 arguments, `extern "C" fn(&[f64; N]) -> f64`
/// beyond.
fn fn_type(arity: usize) -> TokenStream {
    if arity <= 8 {
        let args = (0..arity).map(|_| F64);
        quote!(extern "C" fn(#(#args),*) -> #F64)
    } else {
        quote!(extern "C" fn(&[#F64; #arity]) -> #F64)
    }
}

fn function(checked: &Checked, private: &TokenStream) -> TokenStream {
    let sysv = site(
        &checked.sysv,
        &checked.sysv_avx,
        &checked.fn_arities,
        private,
    );
    let win64 = site(
        &checked.win64,
        &checked.win64_avx,
        &checked.fn_arities,
        private,
    );
    let rust = rust_fn(checked, private);
    let f = Ident::new("__jit_expr_fn", Span::mixed_site());
    quote! {{
        #[cfg(all(target_arch = "x86_64", not(windows)))]
        let #f = #sysv;
        #[cfg(all(target_arch = "x86_64", windows))]
        let #f = #win64;
        #[cfg(not(target_arch = "x86_64"))]
        let #f = #rust;
        #f
    }}
}

/// The `static` with the user functions (of these arities, as the consts of [`fn_consts`]),
/// shared by every `RawCode` of the site, and its name.
fn fns_static(fn_arities: &[usize], private: &TokenStream) -> (TokenStream, Ident) {
    let name = Ident::new("__JIT_EXPR_FNS", Span::mixed_site());
    let n = fn_arities.len();
    let fns = fn_arities.iter().enumerate().map(|(i, &arity)| {
        let variant = format_ident!("F{}", arity);
        let f = fn_const(i);
        quote!(#private::UserFnPtr::#variant(#f))
    });
    let item = quote! {
        static #name: [#private::UserFnPtr; #n] = [#(#fns),*];
    };
    (item, name)
}

/// The statics with the code and its relocation table, named with `suffix`, and a `RawCode`
/// expression naming them and the user functions `fns` (see [`fns_static`]).
fn raw_code(
    code: &Compiled,
    fns: &Ident,
    suffix: &str,
    private: &TokenStream,
) -> (TokenStream, TokenStream) {
    let name = |what: &str| Ident::new(&format!("__JIT_EXPR_{what}{suffix}"), Span::mixed_site());
    let (bytes_name, relocs_name) = (name("CODE"), name("RELOCS"));
    let len = code.code.len();
    let bytes = Literal::byte_string(&code.code);
    let nrelocs = code.relocs.len();
    let relocs = code.relocs.iter().map(|r| {
        let (offset, symbol) = (r.offset, r.symbol.code());
        quote!((#offset, #symbol))
    });
    let statics = quote! {
        static #bytes_name: [::core::primitive::u8; #len] = *#bytes;
        static #relocs_name: [(::core::primitive::u32, ::core::primitive::u32); #nrelocs] =
            [#(#relocs),*];
    };
    let array_entry = code.array_entry;
    let register_entry = match code.register_entry {
        Some(offset) => quote!(::core::option::Option::Some(#offset)),
        None => quote!(::core::option::Option::None),
    };
    let arity = code.arity;
    let raw = quote! {
        #private::RawCode {
            code: &#bytes_name,
            relocs: &#relocs_name,
            fns: &#fns,
            array_entry: #array_entry,
            register_entry: #register_entry,
            arity: #arity,
        }
    };
    (statics, raw)
}

/// `@win64`: the code as a `RawCode` value.
fn raw_block(code: &Compiled, fn_arities: &[usize], private: &TokenStream) -> TokenStream {
    let (fns, fns_name) = fns_static(fn_arities, private);
    let (statics, raw) = raw_code(code, &fns_name, "", private);
    quote! {{
        #fns
        #statics
        #raw
    }}
}

/// A site: the code (SSE2 and AVX), registered for the batch install, and the fast path.
fn site(
    code: &Compiled,
    avx: &Compiled,
    fn_arities: &[usize],
    private: &TokenStream,
) -> TokenStream {
    let (fns, fns_name) = fns_static(fn_arities, private);
    let (statics, raw) = raw_code(code, &fns_name, "", private);
    let (avx_statics, avx_raw) = raw_code(avx, &fns_name, "_AVX", private);
    let ty = fn_type(code.arity);
    let site = Ident::new("__JIT_EXPR_SITE", Span::mixed_site());
    let register = Ident::new("__JIT_EXPR_REGISTER", Span::mixed_site());
    quote! {{
        #fns
        #statics
        #avx_statics
        static #site: #private::Site<#ty> =
            #private::Site::new(#raw, #avx_raw);
        #[#private::linkme::distributed_slice(#private::SITES)]
        #[linkme(crate = #private::linkme)]
        static #register: &#private::SiteCore = #site.core();
        #site.get()
    }}
}

/// The plain-Rust expansion: one assignment per value of the code generator's steps (children
/// first, so no nesting however deep the expression, except that of branching `if`s), each
/// the very function of `jit_compiler::ops` that the interpreter and the simplifier use, and
/// direct calls of the user functions (through their consts). An `if` whose side calls a
/// function is a Rust `if` whose blocks compute that side's own values, as the machine code
/// branches ([`jit_compiler::codegen::steps`]): a function is called on the same paths on
/// every target. Other `if`s select between values computed before.
fn rust_fn(checked: &Checked, private: &TokenStream) -> TokenStream {
    let plan = steps(&checked.expr);
    // the operations the interpreter uses (`jit_compiler::ops`, re-exported)
    let ops = quote!(#private::ops);
    let body = rust_body(&plan, &ops);
    // The values are the elements of one array (indexed by node), each assigned once in the
    // body, which the optimizer turns back into registers. A `let` per value nested a scope
    // per value, and in a debug build about 2 000 nested scopes overflowed the stack of
    // LLVM's debug-info writer in rustc; a local per value declared in one `let` fixed that
    // but cost rustc 4 times the memory (2.9 GB against 0.7 for a 5 000-term sum).
    let count = plan.ast.len();
    let values = values();
    let declare = quote!(let mut #values = [0.0f64; #count];);
    let root = if plan.ast.is_empty() {
        quote!(#F64::NAN)
    } else {
        let r = value_name(plan.root);
        quote!(#r)
    };
    let arity = checked.expr.arity();
    let name = Ident::new("__jit_expr", Span::mixed_site());
    let ty = fn_type(arity);
    let args: Vec<Ident> = (0..arity).map(arg_name).collect();
    let (params, unpack) = if arity <= 8 {
        let ty = F64; // (inside a repetition, `quote!` binds a name: not the struct's own)
        (quote!(#(#args: #ty),*), quote!())
    } else {
        let array = Ident::new("args", Span::mixed_site());
        (
            quote!(#array: &[#F64; #arity]),
            quote!(let [#(#args),*] = *#array;),
        )
    };
    quote! {{
        #[allow(unused_variables, unused_assignments, clippy::all)]
        extern "C" fn #name(#params) -> #F64 {
            #unpack
            #declare
            #(#body)*
            #root
        }
        #private::at_run_time(#name as #ty)
    }}
}

/// The statements computing the steps' values, with a Rust `if` for each branching `if`.
fn rust_body(plan: &Steps, ops: &TokenStream) -> Vec<TokenStream> {
    // The statements of the blocks being built (the function body's, then one per open side),
    // and the finished then-blocks of the open `if`s: an explicit stack, so that the macro's
    // own depth does not grow with the nesting.
    let mut blocks: Vec<Vec<TokenStream>> = vec![Vec::new()];
    let mut thens: Vec<Vec<TokenStream>> = Vec::new();
    for &step in &plan.steps {
        match step {
            Step::Value(i) => {
                let (vi, value) = (value_name(i), rust_value(&plan.ast, plan.ast.node(i), ops));
                push(&mut blocks, quote!(#vi = #value;));
            }
            Step::Then(_) => blocks.push(Vec::new()),
            Step::Else(_) => {
                thens.push(blocks.pop().unwrap_or_default());
                blocks.push(Vec::new());
            }
            Step::End(i) => {
                let (else_block, then_block) = (
                    blocks.pop().unwrap_or_default(),
                    thens.pop().unwrap_or_default(),
                );
                let Node::If(c, x, y) = plan.ast.node(i) else {
                    continue; // (only `if`s end)
                };
                let (vi, c, x, y) = (value_name(i), truthy(c, ops), value_name(x), value_name(y));
                let statement = quote! {
                    #vi = if #c {
                        #(#then_block)*
                        #x
                    } else {
                        #(#else_block)*
                        #y
                    };
                };
                push(&mut blocks, statement);
            }
        }
    }
    blocks.pop().unwrap_or_default()
}

/// The expression computing `node` from its operands' values.
fn rust_value(ast: &Ast, node: Node, ops: &TokenStream) -> TokenStream {
    let v = value_name;
    match node {
        Node::Num(x) => {
            let bits = x.to_bits();
            quote!(#F64::from_bits(#bits))
        }
        Node::Arg(k) => {
            let ak = arg_name(k as usize);
            quote!(#ak)
        }
        Node::Unary(op, x) => {
            let (op, x) = (Ident::new(&format!("{op:?}"), Span::call_site()), v(x));
            quote!(#ops::UnaryOp::#op.apply(#x))
        }
        Node::Binary(op, x, y) => {
            let (op, x, y) = (
                Ident::new(&format!("{op:?}"), Span::call_site()),
                v(x),
                v(y),
            );
            quote!(#ops::BinaryOp::#op.apply(#x, #y))
        }
        Node::PowI(x, n) => {
            let x = v(x);
            quote!(#ops::powi(#x, #n))
        }
        Node::If(c, x, y) => {
            let (c, x, y) = (truthy(c, ops), v(x), v(y));
            quote!(if #c { #x } else { #y })
        }
        Node::Call(f, list) => {
            let f = fn_const(f as usize);
            let args = ast.call_args(list).iter().map(|&x| v(x));
            quote!(#f(#(#args),*))
        }
    }
}

/// The array of the values (indexed by node).
fn values() -> Ident {
    Ident::new("v", Span::mixed_site())
}

/// The element holding a node's value.
fn value_name(i: NodeId) -> TokenStream {
    let (values, i) = (values(), i.index());
    quote!(#values[#i])
}

/// The parameter holding argument `k`.
fn arg_name(k: usize) -> Ident {
    format_ident!("a{}", k, span = Span::mixed_site())
}

/// `ops::is_truthy(value of c)`.
fn truthy(c: NodeId, ops: &TokenStream) -> TokenStream {
    let c = value_name(c);
    quote!(#ops::is_truthy(#c))
}

/// Adds a statement to the innermost open block.
fn push(blocks: &mut [Vec<TokenStream>], statement: TokenStream) {
    if let Some(block) = blocks.last_mut() {
        block.push(statement);
    }
}
