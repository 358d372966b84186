//! Durability: checkpoints, the store manifest, restart and append.
//!
//! A run asks for a checkpoint every so often ([`board`]); at that block
//! every worker writes its indicator states ([`state_file`]) and completes
//! its open files, and then the manifest ([`manifest`]) is replaced
//! atomically with one that lists those files and that checkpoint. The
//! manifest is the only source of truth: a restart removes whatever it does
//! not list, restores the states and skips the bars they already cover.
//! [`failpoint`]s let the crash harness stop a run at the risky moments.

pub mod board;
pub mod failpoint;
pub mod fingerprint;
pub mod manifest;
pub mod state_file;

pub use fingerprint::InputFingerprint;
pub use manifest::{describe_differences, Manifest, StoreFile};
