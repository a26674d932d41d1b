"""kubify: understand a repository and launch it into Kubernetes."""

__version__ = "0.1.0"
