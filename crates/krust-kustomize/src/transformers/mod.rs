//! Builtin transformers (namespace, prefix/suffix, labels, annotations, images, replicas) and the name-reference fix-up, driven by field specs.
