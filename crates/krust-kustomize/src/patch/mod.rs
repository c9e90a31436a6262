//! Patches: strategic merge, JSON 6902, and patch target selection.
