//! Plan: desired against applied state (SPEC §3–5). Filled in by the plan stage.
