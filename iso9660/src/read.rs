//! ISO reader (in progress).
