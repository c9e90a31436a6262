//! Any bytes: `parse_bytes` must return documents or an error, never panic, overflow the stack
//! or take more than linear time; whatever parses must print.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(docs) = krust_yaml::parse_bytes(data) {
        for doc in &docs {
            let _ = krust_yaml::check_printable(&doc.value);
            let _ = krust_yaml::to_string(&doc.value);
        }
    }
});
