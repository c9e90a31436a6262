//! Reads a YAML stream from a file (or stdin) and prints it as `kustomize build` would print
//! those resources: every non-empty document re-emitted, joined by `---`.

use std::io::Read;

fn main() -> std::process::ExitCode {
    let mut bytes = Vec::new();
    let res = match std::env::args_os().nth(1) {
        Some(path) => std::fs::read(path).map(|b| bytes = b),
        None => std::io::stdin().read_to_end(&mut bytes).map(|_| ()),
    };
    if let Err(e) = res {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: invalid UTF-8 at byte {}", e.valid_up_to());
            return std::process::ExitCode::FAILURE;
        }
    };
    match krust_yaml::parse_documents(text) {
        Ok(docs) => {
            let values = docs.iter().map(|d| &d.value).filter(|v| !v.is_null());
            print!("{}", krust_yaml::documents_to_string(values));
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
