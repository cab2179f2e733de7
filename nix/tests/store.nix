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

  # A second package with an executable and a manual page, like most.
  other = derivation {
    name = "othertool";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p $out/bin $out/share/man/man1 && echo 'echo other' > $out/bin/other && /bin/chmod +x $out/bin/other && echo man > $out/share/man/man1/other.1" ];
  };

  wrapped = b.wrapTools {
    name = "mytool-with-secrets";
    tools = [ tool other ];
    templates = tree;
    inherit rigupExec;
  };

  # A single file is not a package: refused at build time.
  notAPackage = b.wrapTools {
    name = "bad";
    tools = [ (b.script { name = "s"; text = "true\n"; }) ];
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

  # An entrypoint that gives its script the caller's XDG_CONFIG_HOME back.
  keepsConfigHome = b.entrypoint {
    name = "agent";
    templates = tree;
    inherit rigupExec;
    callerConfigHome = true;
    script = ''
      echo "config home: $XDG_CONFIG_HOME"
      echo "rendered: $RIGUP_CONFIG_DIR"
      echo "git user: $(git config user.name)"
      echo "caller variable: ''${RIGUP_CALLER_CONFIG_HOME-unset}"
      exec ${wrapped}/bin/mytool from-agent
    '';
  };
in
{
  inherit tree wrapped notAPackage entrypoint keepsConfigHome;
}
