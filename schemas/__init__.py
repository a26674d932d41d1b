"""JSON Schemas generated from kubify's models (package data; see ``kubify schema``)."""
