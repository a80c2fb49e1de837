//! Applied state: what `apply` recorded, read back for `plan` (SPEC §4).
