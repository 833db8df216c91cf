"""Sample sites for `cityradar demo` and the tests, served on 127.0.0.1."""
