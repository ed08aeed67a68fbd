//! How many cases the property tests run; shared by the test files (included with `#[path]`).

use proptest::test_runner::Config;

/// A proptest configuration of `n` cases, unless the `PROPTEST_CASES` environment variable
/// sets the number. Proptest reads that variable only into its default configuration, which
/// an explicit count would override; honouring it lets a slow run (the suite under qemu, in
/// `scripts/aarch64.sh`) ask for fewer cases, and a long one for more.
pub fn cases(n: u32) -> Config {
    let default = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        default
    } else {
        Config {
            cases: n,
            ..default
        }
    }
}
