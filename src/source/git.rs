//! Reading a program from a git revision (plan, apply): trees and blobs read directly with
//! git2, no checkout and no `git` process. Filled in by the plan stage.
