//! Approvals (SPEC §5, §11, §16): who must approve a change and whether they have.
//!
//! [`rules`] turns a change's classes into the teams the program's approval rules require,
//! `owner` resolved; [`review`] decides, from a plan, GitHub's reviews and the teams'
//! members, whether a pull request has every approval it needs; [`codeowners`] is the
//! `codeowners` target, the same rules as a GitHub CODEOWNERS file.

pub mod codeowners;
pub mod review;
pub mod rules;
