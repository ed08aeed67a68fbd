//! trivial-jit compiles arithmetic expressions such as `"(-b+(b^2-4*a*c)^0.5)/(2*a)"` to
//! x86-64 machine code and hands back a function you can call.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
