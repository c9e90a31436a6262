//! Legacy `vars:` and `$(VAR)` substitution.
