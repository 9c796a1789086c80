//! Test support for mvi end-to-end and oracle tests.
