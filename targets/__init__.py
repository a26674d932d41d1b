"""Targets: one module per output (k8s core objects, Dockerfiles, CRs, Kaniko, Pulumi, GitOps)."""
