//! The engine contract, served by the lean engine (the default).
const BASE: &str = r#""hostname":"127.0.0.1","port":0,"threads":2,"engine":"lean""#;
include!("engine/cases.rs");
