"""Everything known about one package before its fields are decided, shared by the deciding modules."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubify.analyzers.node.node_version import NodeVersion
from kubify.analyzers.node.package_json import PackageJson
from kubify.analyzers.node.package_manager import PackageManager
from kubify.analyzers.node.ports import PortValue
from kubify.analyzers.node.source_scan import Listen, SourceFacts
from kubify.analyzers.node.workspaces import NodeIndex, Workspace
from kubify.diagnostics import Diagnostic
from kubify.scan import Inventory


@dataclass
class PackageContext:
    """Everything known about one package before its fields are decided."""

    inventory: Inventory
    index: NodeIndex
    package: PackageJson
    workspace: Workspace | None
    root_package: PackageJson | None
    manager: PackageManager
    version: NodeVersion
    facts: SourceFacts = field(default_factory=SourceFacts)
    entries: list[str] = field(default_factory=list)
    #: Listen calls whose port (or port env var) resolved.
    resolved: list[tuple[Listen, PortValue]] = field(default_factory=list)
    notes: list[Diagnostic] = field(default_factory=list)

    def serving(self) -> list[Listen]:
        """Listen calls that start this package's server: resolved ones, or any in an entry file.

        A framework's own ``server.listen(...args)`` (the koa or express repository itself) is
        neither, so a web framework library is not mistaken for a web service.
        """
        resolved = [listen for listen, _value in self.resolved]
        return resolved + [listen for listen in self.facts.listens
                           if listen not in resolved and listen.site.file in self.entries]

    @property
    def root(self) -> str:
        return self.package.root

    @property
    def context(self) -> str:
        return self.workspace.root if self.workspace else self.root
