"""The learning domain: commands and pure deciders, one module per aggregate. No I/O."""
