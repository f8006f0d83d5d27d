"""The console and the `jifen` command line. The only package that may import textual."""
