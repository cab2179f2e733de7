# The riglets of this flake evaluated against rigup.nix's real
# lib/rigletSchema.nix (and its riglib) in nixpkgs' real lib.evalModules.
#   nix-instantiate --eval --strict --json nix/tests/riglets.nix \
#     --argstr nixpkgsLib $NIXPKGS_LIB --argstr rigupNix $RIGUP_NIX_SRC
#
# `pkgs` here is a STAND-IN, not nixpkgs (which cannot be evaluated on the
# Nix these tests run on): its packages are empty shells built with /bin/sh,
# and runtimeShell and coreutils are the host's, so that the config trees
# the riglets make (which rigletSchema's `folder` type reads while it
# evaluates) are built for real; symlinkJoin and writeText are small
# builders of their own with the host's cp and printf.
#
# One SHIM: nixpkgs' lib.pathIsDirectory, which rigletSchema's `folder` type
# uses, needs builtins.readFileType (Nix 2.14); here it reads the parent
# directory instead, as Nix 2.8 can.
#
# With `claude` (the path of a real Claude Code), `mcpUrl` and `rigupExec`
# (the path of the rigup-exec under test), `agent` is the entrypoint of a rig
# whose MCP servers are the one at mcpUrl, its Authorization header a
# secret, and, with `mcpStdio` (a program), a stdio one; with that Claude
# Code and that rigup-exec as its packages.
{
  nixpkgsLib,
  rigupNix,
  claude ? null,
  mcpUrl ? null,
  mcpStdio ? null,
  rigupExec ? null,
}:
let
  lib = (import nixpkgsLib).extend (
    final: prev: {
      pathIsDirectory = p: builtins.pathExists p && (builtins.readDir (dirOf p)).${builtins.unsafeDiscardStringContext (baseNameOf p)} == "directory";
    }
  );
  system = builtins.currentSystem;

  # A stand-in package: bin/NAME, a shell script that runs the program at
  # PATH, or does nothing.
  runs =
    name: path:
    derivation {
      inherit name system;
      script = "#!/bin/sh\n" + (if path == null then "exit 0" else "exec '${path}' \"$@\"") + "\n";
      builder = "/bin/sh";
      args = [ "-c" "/bin/mkdir -p $out/bin && printf %s \"$script\" > $out/bin/${name} && /bin/chmod +x $out/bin/${name}" ];
    }
    // { meta.mainProgram = name; };
  fake = name: runs name null;

  pkgs = {
    inherit lib;
    stdenv.hostPlatform.system = system;
    config.allowUnfree = true;
    runtimeShell = "/bin/sh";
    coreutils = { outPath = "/usr"; };
    claude-code = fake "claude";
    writeText =
      name: text:
      derivation {
        inherit name system text;
        builder = "/bin/sh";
        args = [ "-c" "printf %s \"$text\" > $out" ];
      };
    symlinkJoin =
      { name, paths, ... }:
      derivation {
        inherit name system paths;
        builder = "/bin/sh";
        args = [ "-c" "/bin/mkdir -p $out && for p in $paths; do /bin/cp -rs \"$p\"/. $out/; done" ];
      }
      // { inherit paths; };
  };

  # This flake as the riglets see it, with a stand-in package.
  self = {
    riglets = import ../riglets self;
    overlays.default = final: prev: {
      rigup-exec = if rigupExec == null then fake "rigup-exec" else runs "rigup-exec" rigupExec;
    };
  };
  upstream = {
    lib.mkRiglib = import "${rigupNix}/lib/mkRiglib.nix" upstream;
  };

  evalRig =
    modules:
    (lib.evalModules {
      modules = [
        {
          _module.args = {
            inherit pkgs system;
            riglib = upstream.lib.mkRiglib { inherit pkgs; };
          };
        }
        (import "${rigupNix}/lib/rigletSchema.nix" upstream)
      ] ++ modules;
    });

  # A rig's [rigs.<rig>.config] table in rigup.toml, as rigup.nix reads it.
  tomlConfig = builtins.fromTOML ''
    [mcp-context7.apiKey]
    _type = "secret"
    path = "team.context7"

    [mcpServers.notes]
    url = "https://notes.example/mcp"
    headers = { Authorization = "Bearer {{secrets.notes.token}}" }
  '';

  # A riglet of the project's own: a tool wrapped with secrets and its
  # config file.
  myTool =
    { pkgs, rigupSecrets, ... }:
    {
      config.riglets.my-tool = {
        tools = [
          (rigupSecrets.wrapWithSecrets {
            name = "gh-with-secrets";
            tools = [ (fake "gh") ];
            templates = rigupSecrets.configRoot;
          })
        ];
        configFiles = rigupSecrets.writeConfigTree "gh-config" {
          gh."hosts.yml" = rigupSecrets.toYAML { "github.com".oauth_token = rigupSecrets.mkSecret "gh.token"; };
        };
        meta = {
          description = "gh";
          intent = "toolbox";
        };
      };
    };

  riglets = [
    self.riglets.claude-code-secrets
    self.riglets.mcp-context7
    self.riglets.secret-management
    self.riglets.secrets
    tomlConfig
    myTool
  ];
  rig = evalRig riglets;
  # The MCP definitions rendered with their values, for the agent to read.
  openRig = evalRig (riglets ++ [ { claude-code-secrets.keepSecretsFromAgent = false; } ]);
  c = rig.config;
  rs = rig._module.args.rigupSecrets;

  # What rigup.nix's buildRig hands the entrypoint, stood in for.
  baseRigOf = rig: {
    configRoot = rig._module.args.rigupSecrets.configRoot;
    toolRoot = fake "rig-all-tools";
    docRoot = fake "rig-doc-root";
    manifest.override = args: pkgs.writeText "RIG.md" "# A rig\n" // { inherit args; };
    allExeNames = [ "gh" ];
    denyRules = { gh = [ "auth token" ]; };
    promptCommands = { "my-tool:review" = { description = "Review"; template = "Review $1"; useSubAgent = true; }; };
  };
  entry = c.entrypoint (baseRigOf rig);

  agentRig = evalRig [
    self.riglets.claude-code-secrets
    {
      mcpServers.local = {
        url = mcpUrl;
        headers.Authorization = "Bearer ${rs.mkSecret "local.token"}";
      };
      # A stdio server, which Claude Code reaches through the relay.
      mcpServers.stdio = lib.mkIf (mcpStdio != null) { command = runs "stdio-mcp" mcpStdio; };
      claude-code-secrets.strictMcpConfig = true;
      claude-code-secrets.package = runs "claude" claude;
    }
  ];

  bare = evalRig [ self.riglets.claude-code-secrets { mcpServers.local.command = fake "memory-server"; } ];
  bareMcp = bare.config.riglets.claude-code-secrets.configFiles;

  mcpFile = c.riglets.claude-code-secrets.configFiles;
  lines = text: builtins.filter (l: builtins.isString l && l != "") (builtins.split "\n" text);
in
{
  # For the caller: the derivations to build, config trees to render.
  entrypoint = entry;
  agent = agentRig.config.entrypoint (baseRigOf agentRig);
  trees = {
    claude = mcpFile;
    claudeOpen = openRig.config.riglets.claude-code-secrets.configFiles;
    gh = c.riglets.my-tool.configFiles;
    bare = bareMcp;
  };
  result = import ./run.nix {
    headerFromToml = {
      expr = c.mcpServers.context7.headers.CONTEXT7_API_KEY;
      expected = "{{secrets.team.context7}}";
    };
    mcpJsonPlaceholders = {
      expr = (import ../lib.nix).secretPaths mcpFile.file0;
      expected = [ "notes.token" "team.context7" ];
    };
    mcpJsonShape = {
      expr = builtins.fromJSON (builtins.unsafeDiscardStringContext mcpFile.file0);
      expected.mcpServers = {
        context7 = {
          type = "http";
          url = "https://mcp.context7.com/mcp";
          headers.CONTEXT7_API_KEY = "{{ secrets.team.context7 | json }}";
        };
        notes = {
          type = "http";
          url = "https://notes.example/mcp";
          headers.Authorization = "Bearer {{ secrets.notes.token | json }}";
        };
      };
    };
    noSecretsRig = {
      expr = builtins.fromJSON (builtins.unsafeDiscardStringContext bareMcp.file0);
      expected.mcpServers.local = {
        type = "stdio";
        command = "${fake "memory-server"}/bin/memory-server";
      };
    };
    entrypointRunsRigupExec = {
      expr = lines entry.text;
      expected = [
        "#!/bin/sh"
        "export RIGUP_CALLER_CONFIG_HOME=\"\${XDG_CONFIG_HOME:-$HOME/.config}\""
        "exec '${fake "rigup-exec"}/bin/rigup-exec' -t '${rs.configRoot}' -- '${entry.inner}' \"$@\""
      ];
    };
    entrypointName = {
      expr = entry.name;
      expected = "claude";
    };
    innerScriptReadsRenderedConfig = {
      expr = builtins.filter (l: builtins.match " *--mcp-config .*" l != null) (lines entry.inner.text);
      expected = [ "  --mcp-config \"$RIGUP_CONFIG_DIR/rigup/claude-code/mcp.json\" \\" ];
    };
    innerScriptClaude = {
      expr = builtins.filter (l: builtins.match "exec .*" l != null) (lines entry.inner.text);
      expected = [ "exec ${fake "claude"}/bin/claude \\" ];
    };
    configRootJoinsEveryRiglet = {
      expr = map (p: if p == null then null else p.name) rs.configRoot.paths;
      expected = map (n: if c.riglets.${n}.configFiles == null then null else c.riglets.${n}.configFiles.name) (builtins.attrNames c.riglets);
    };
    wrappedToolUsesConfigRoot = {
      expr =
        let
          w = builtins.head c.riglets.my-tool.tools.wrapped;
        in
        { inherit (w) tools; line = w.line; };
      expected = {
        tools = [ "${fake "gh"}" ];
        line = "exec '${fake "rigup-exec"}/bin/rigup-exec' -t '${rs.configRoot}' -- \"$exe\" \"$@\"\n";
      };
    };
    rigletMeta = {
      expr = lib.mapAttrs (_: r: { inherit (r.meta) intent status; docs = r.docs != null; }) c.riglets;
      expected = {
        claude-code-secrets = { intent = "base"; status = "experimental"; docs = false; };
        mcp-context7 = { intent = "base"; status = "example"; docs = false; };
        my-tool = { intent = "toolbox"; status = "experimental"; docs = false; };
        secret-management = { intent = "cookbook"; status = "experimental"; docs = true; };
        secrets = { intent = "base"; status = "experimental"; docs = false; };
      };
    };
    skillIsThere = {
      expr = builtins.pathExists "${c.riglets.secret-management.docs}/SKILL.md";
      expected = true;
    };
  };
}
