# A rig in miniature, built by the library without nixpkgs (builtins.derivation,
# the host's /bin/sh and coreutils): a config tree, a tool wrapped with
# secrets, and an entrypoint whose inner script runs the wrapped tool.
#   nix-build nix/tests/store.nix -A entrypoint --argstr rigupExec /path/to/rigup-exec
{ rigupExec }:
let
  l = import ../lib.nix;
  b = l.build {
    system = builtins.currentSystem;
    shell = "/bin/sh";
    coreutils = "/bin";
  };

  tree = b.configTree "rig-config-root" {
    "tool/config.json" = l.toJSON { token = l.mkSecret "app.token"; };
    agent."mcp.json" = l.toJSON {
      mcpServers.api.headers.Authorization = "Bearer ${l.mkSecret "mcp.api_key"}";
    };
    "notes/plain.txt" = "no secrets here\n";
    # a file that holds only a value
    "tool/token" = l.mkSecret "app.token";
  };

  tool = b.script {
    name = "mytool";
    bin = true;
    text = ''
      echo "tool sees $XDG_CONFIG_HOME"
      echo "tool args: $*"
      cat "$XDG_CONFIG_HOME/tool/config.json"
      echo
      cat "$XDG_CONFIG_HOME/tool/token"
    '';
  };

  wrapped = b.wrapTools {
    name = "mytool-with-secrets";
    tools = [ tool ];
    templates = tree;
    inherit rigupExec;
  };

  entrypoint = b.entrypoint {
    name = "agent";
    templates = tree;
    inherit rigupExec;
    script = ''
      echo "agent sees $XDG_CONFIG_HOME"
      echo "agent args: $*"
      echo "mcp config: $XDG_CONFIG_HOME/agent/mcp.json"
      exec ${wrapped}/bin/mytool from-agent
    '';
  };
in
{
  inherit tree wrapped entrypoint;
}
