//! krust-check: rules over a rendered repository (work in progress).
