"""Tests against a real control plane started by kubify.localcluster."""
