//! The macro's input, parsed:
//! `[@hook] [|args|] "expression" [, fns = [path, ...]] [, crate = path] [,]` (the options in
//! either order, each at most once).

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// What to expand to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The normal form: a fn pointer (machine code under `cfg`, plain Rust elsewhere).
    Function,
    /// `@win64`: a `__private::RawCode` with the Win64 code, for testing it on any host
    /// (without `fns`: the user functions are System V on a non-Windows host).
    Win64,
    /// `@rust`: the plain-Rust expansion on every target, for testing it on x86-64.
    Rust,
}

/// One name of an explicit argument list.
pub struct Arg {
    /// The name (a raw identifier's `r#` stripped).
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// One entry of `fns = [...]`: a path to a Rust function in scope.
pub struct UserFn {
    /// The name in expressions: the path's last segment (a raw identifier's `r#` stripped).
    pub name: String,
    /// The path as written (its tokens keep their spans, so errors point at it, e.g.
    /// with `syn::Error::new_spanned`).
    pub path: syn::Path,
}

/// The parsed input.
pub struct Input {
    /// What to expand to.
    pub mode: Mode,
    /// `|a, b|`: the explicit argument list, in order.
    pub args: Option<Vec<Arg>>,
    /// The expression.
    pub lit: LitStr,
    /// `fns = [...]`: the user functions, in order (empty without the option).
    pub fns: Vec<UserFn>,
    /// `crate = path`: where the expansion finds trivial-jit when it is not `::trivial_jit`
    /// (a renamed dependency, or a crate that re-exports it).
    pub krate: Option<syn::Path>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Input> {
        let mode = parse_mode(input)?;
        let args = parse_args(input)?;
        let lit = parse_literal(input)?;
        let (fns, krate) = parse_options(input)?;
        Ok(Input {
            mode,
            args,
            lit,
            fns,
            krate,
        })
    }
}

/// Parses the input of the macro, first looking through invisible groups: a literal forwarded
/// by a `macro_rules!` macro as `$e:literal` or `$e:expr` arrives wrapped in a `Group` with
/// `Delimiter::None`.
pub fn parse(tokens: TokenStream) -> syn::Result<Input> {
    syn::parse2(unwrap_invisible(tokens))
}

fn unwrap_invisible(tokens: TokenStream) -> TokenStream {
    let mut tokens = tokens;
    loop {
        let mut iter = tokens.clone().into_iter();
        match (iter.next(), iter.next()) {
            (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::None => {
                tokens = g.stream();
            }
            _ => return tokens,
        }
    }
}

fn parse_mode(input: ParseStream) -> syn::Result<Mode> {
    if !input.peek(Token![@]) {
        return Ok(Mode::Function);
    }
    input.parse::<Token![@]>()?;
    let hook: Ident = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a test option after `@` (`@win64`, `@rust`)",
        )
    })?;
    match hook.to_string().as_str() {
        "win64" => Ok(Mode::Win64),
        "rust" => Ok(Mode::Rust),
        _ => Err(syn::Error::new(
            hook.span(),
            "unknown `@` option (`@win64` and `@rust` are for trivial-jit's own tests)",
        )),
    }
}

fn parse_args(input: ParseStream) -> syn::Result<Option<Vec<Arg>>> {
    if input.peek(Token![||]) {
        input.parse::<Token![||]>()?;
        return Ok(Some(Vec::new()));
    }
    if !input.peek(Token![|]) {
        return Ok(None);
    }
    input.parse::<Token![|]>()?;
    let mut args = Vec::new();
    loop {
        if input.peek(Token![|]) {
            input.parse::<Token![|]>()?;
            return Ok(Some(args));
        }
        args.push(parse_arg(input)?);
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        } else if !input.peek(Token![|]) {
            return Err(input.error("expected `,` or `|` after an argument name"));
        }
    }
}

fn parse_arg(input: ParseStream) -> syn::Result<Arg> {
    if input.peek(Ident::peek_any) {
        let ident = input.call(Ident::parse_any)?;
        let name = ident.unraw().to_string();
        return Ok(Arg {
            name,
            span: ident.span(),
        });
    }
    if input.is_empty() {
        return Err(input.error("expected an argument name and a closing `|`"));
    }
    let token: TokenTree = input.parse()?;
    Err(syn::Error::new(
        token.span(),
        format!("expected an argument name (an identifier), found `{token}`"),
    ))
}

fn parse_literal(input: ParseStream) -> syn::Result<LitStr> {
    const USAGE: &str = "expected a string literal with the expression, \
                         e.g. `jit_expr!(\"2*x^0.5\")`";
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        if !lit.suffix().is_empty() {
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "unexpected suffix `{}` on the expression string",
                    lit.suffix()
                ),
            ));
        }
        return Ok(lit);
    }
    if input.is_empty() {
        return Err(input.error(USAGE));
    }
    if input.peek(Ident) && input.peek2(Token![!]) {
        let name: Ident = input.parse()?;
        return Err(syn::Error::new(
            name.span(),
            format!(
                "{USAGE}, found the macro `{name}!`: a macro cannot see what another macro \
                 expands to, so write the string itself (a `macro_rules!` of yours may pass \
                 one along as `$e:literal`)"
            ),
        ));
    }
    let token: TokenTree = input.parse()?;
    Err(syn::Error::new(
        token.span(),
        format!("{USAGE}, found `{token}`"),
    ))
}

/// The options after the expression string: `, fns = [...]` and `, crate = path`, in either
/// order, each at most once, with an optional trailing comma.
fn parse_options(input: ParseStream) -> syn::Result<(Vec<UserFn>, Option<syn::Path>)> {
    const OPTIONS: &str = "the options are `fns = [f, g, ...]` and `crate = path`";
    let (mut fns, mut krate) = (None, None);
    while !input.is_empty() {
        if !input.peek(Token![,]) {
            return Err(input.error(format!(
                "unexpected tokens after the expression string; write \
                 `jit_expr!(\"...\")` or `jit_expr!(|a, b| \"...\")`, and options after a \
                 comma each: {OPTIONS}"
            )));
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        let key: Ident = input.call(Ident::parse_any).map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected an option after the expression string: {OPTIONS}"),
            )
        })?;
        let twice = || syn::Error::new(key.span(), format!("`{key}` is given twice"));
        match key.to_string().as_str() {
            "fns" if fns.is_some() => return Err(twice()),
            "fns" => fns = Some(parse_fns(input)?),
            "crate" if krate.is_some() => return Err(twice()),
            "crate" => krate = Some(parse_crate(input)?),
            _ => {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown option `{key}`; {OPTIONS}"),
                ));
            }
        }
    }
    Ok((fns.unwrap_or_default(), krate))
}

/// The `=` after an option's name; without it, an error that shows the option's form.
fn equals_after(input: ParseStream, example: &str) -> syn::Result<()> {
    input.parse::<Token![=]>().map(drop).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected `=` after the option's name, as in `{example}`"),
        )
    })
}

/// `= path` after `crate`: a path such as `::my_jit` or `$crate::reexported`, without
/// generic arguments.
fn parse_crate(input: ParseStream) -> syn::Result<syn::Path> {
    equals_after(input, "crate = ::my_jit")?;
    let span = input.span();
    input.call(syn::Path::parse_mod_style).map_err(|_| {
        syn::Error::new(
            span,
            "expected the path of trivial-jit as this crate names it, e.g. `crate = ::my_jit`",
        )
    })
}

/// `= [a, b::c, ...]` after `fns`.
fn parse_fns(input: ParseStream) -> syn::Result<Vec<UserFn>> {
    equals_after(input, "fns = [sigmoid]")?;
    let content;
    syn::bracketed!(content in input);
    let mut fns = Vec::new();
    while !content.is_empty() {
        fns.push(parse_fn_path(&content)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(fns)
}

/// One path of `fns`: identifiers separated by `::` (optionally starting with `::`), no
/// generic arguments.
fn parse_fn_path(input: ParseStream) -> syn::Result<UserFn> {
    let not_a_path = |span: Span, found: &dyn std::fmt::Display| {
        syn::Error::new(
            span,
            format!(
                "expected the path of a function (e.g. `sigmoid` or `my_mod::sigmoid`), \
                 found `{found}`"
            ),
        )
    };
    let first_span = input.span();
    let generic = |span: Span| {
        syn::Error::new(
            span,
            "generic arguments are not allowed in `fns`; name an instance with a `const`, \
             e.g. `const F: extern \"C\" fn(f64) -> f64 = f::<T>;`",
        )
    };
    let path = match input.call(syn::Path::parse_mod_style) {
        Ok(path) => path,
        Err(_) if input.peek(Token![<]) => return Err(generic(input.span())),
        Err(_) => {
            let token: TokenTree = input.parse()?;
            return Err(not_a_path(token.span(), &token));
        }
    };
    if input.peek(Token![<]) || (input.peek(Token![::]) && input.peek3(Token![<])) {
        return Err(generic(input.span()));
    }
    if !(input.is_empty() || input.peek(Token![,])) {
        let token: TokenTree = input.parse()?;
        return Err(not_a_path(token.span(), &token));
    }
    let last = path.segments.last().map(|s| &s.ident);
    let Some(last) = last else {
        return Err(not_a_path(first_span, &"::"));
    };
    let name = last.unraw().to_string();
    if matches!(name.as_str(), "self" | "super" | "crate" | "Self") {
        return Err(not_a_path(last.span(), &last));
    }
    if let Some(first) = path.segments.first().filter(|s| s.ident == "Self") {
        return Err(syn::Error::new(
            first.ident.span(),
            "`Self` cannot be used in `fns`: the functions are kept in a `static`, where \
             `Self` does not exist; write the type's name (`MyType::f`)",
        ));
    }
    Ok(UserFn { name, path })
}
