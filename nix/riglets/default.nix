# The riglets of this flake, in the form rigup.nix reads from another flake's
# `riglets.<name>`: modules already given the flake's `self`. Each carries a
# `key`, so that a riglet imported by several others (every one imports
# `secrets`) is evaluated once.
self:
builtins.mapAttrs
  (name: file: {
    key = "rigup-exec/riglets/${name}";
    _file = file;
    imports = [ (import file self) ];
  })
  {
    secrets = ./secrets.nix;
    claude-code-secrets = ./claude-code-secrets.nix;
    mcp-context7 = ./mcp-context7.nix;
    secret-management = ./secret-management.nix;
  }
