//! `trivial-jit`: compile an expression to x86-64 machine code and run it, show or explain
//! the code, plot it, or use it interactively. See `trivial-jit --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
