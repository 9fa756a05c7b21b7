"""opencoder: the OpenCoder cookbook (arXiv 2411.04905) as one reproducible system."""

__version__ = "0.1.0"
