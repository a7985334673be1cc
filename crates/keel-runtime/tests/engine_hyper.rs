//! The engine contract, served by the tokio + hyper engine.
const BASE: &str = r#""hostname":"127.0.0.1","port":0,"threads":2,"engine":"hyper""#;
include!("engine/cases.rs");
