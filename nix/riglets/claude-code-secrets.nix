# Claude Code as the rig's entrypoint, with the rig's MCP servers' secrets
# rendered at run time: the secret-aware counterpart of rigup.nix's
# `claude-code` riglet (use one or the other: a rig has one entrypoint).
#
# config.mcpServers (secret references and "Bearer ${secret}" strings
# included) is serialized with rigupSecrets.toJSON into the rig's config
# tree. With keepSecretsFromAgent (the default) it goes to
# .rigup-private/rigup/claude-code/mcp.json: rigup-exec renders it into its
# own memory only, runs the servers outside Claude Code's reach (remote ones
# behind a local proxy that adds their headers, stdio ones behind a relay),
# writes rigup/claude-code/mcp.json naming the proxy and the relay, without
# any value, and runs Claude Code in a Landlock domain. Without it the file
# is rigup/claude-code/mcp.json itself, rendered with its values. The
# entrypoint passes claude rigup/claude-code/mcp.json either way. Claude Code and what it runs keep the
# caller's XDG_CONFIG_HOME; tools wrapped with secrets get the rendered one.
# A rig without secrets works the same way: rigup-exec then renders nothing
# and needs no key.
self:
{
  config,
  lib,
  pkgs,
  rigupSecrets,
  ...
}:
let
  cfg = config.claude-code-secrets;

  # Where the MCP config stands in the config tree, and so in the rendered
  # directory.
  mcpConfigPath = "rigup/claude-code/mcp.json";
  # Where the definitions with their secrets go.
  mcpSourcePath = lib.optionalString cfg.keepSecretsFromAgent ".rigup-private/" + mcpConfigPath;

  mcpConfig = {
    mcpServers = lib.mapAttrs (
      _: server:
      if server ? command then
        {
          type = "stdio";
          command = lib.getExe server.command;
        }
      else
        {
          type = if server.useSSE then "sse" else "http";
          inherit (server) url;
        }
        // lib.optionalAttrs (server.headers != { }) { inherit (server) headers; }
    ) config.mcpServers;
  };

  modelId = if config ? models then config.models.default.modelId or null else null;
in
{
  imports = [ self.riglets.secrets ];

  options.claude-code-secrets = {
    package = lib.mkOption {
      description = ''
        The Claude Code package to run. The default is nixpkgs' claude-code,
        whose licence is unfree: rigup.nix imports nixpkgs without
        allowUnfree, so the default accepts that licence for this package
        alone.
      '';
      type = lib.types.package;
      default =
        if pkgs.config.allowUnfree or false then
          pkgs.claude-code
        else
          (import pkgs.path {
            inherit (pkgs.stdenv.hostPlatform) system;
            config.allowUnfreePredicate = p: lib.getName p == "claude-code";
          }).claude-code;
      defaultText = lib.literalExpression "pkgs.claude-code";
    };

    keepSecretsFromAgent = lib.mkOption {
      description = ''
        Keep the MCP servers' secrets out of Claude Code's reach: their
        definitions are rendered into rigup-exec's memory only, the servers
        run outside the agent's Landlock domain (remote ones behind a local
        proxy that adds their headers, stdio ones behind a relay), and
        Claude Code's MCP config names the proxy and the relay, without any
        value. Claude Code can use every server, but not read its key. Off,
        the rendered MCP config holds the values, readable by the agent.
      '';
      type = lib.types.bool;
      default = true;
    };

    strictMcpConfig = lib.mkOption {
      description = "Use only the rig's MCP servers, none from the user's or the project's own configuration";
      type = lib.types.bool;
      default = false;
    };

    userConfigDir = lib.mkOption {
      description = "Claude Code's configuration directory (CLAUDE_CONFIG_DIR) instead of ~/.claude";
      type = lib.types.nullOr (lib.types.pathWith { inStore = false; });
      default = null;
    };
  };

  config.riglets.claude-code-secrets = {
    configFiles = rigupSecrets.writeConfigTree "claude-code-secrets-config" {
      ${mcpSourcePath} = rigupSecrets.toJSON mcpConfig;
    };
    meta = {
      description = "Launch Claude Code with rig context, its MCP servers' secrets rendered at run time by rigup-exec";
      intent = "base";
      disclosure = "none";
      status = "experimental";
      version = "0.1.0";
    };
  };

  config.entrypoint =
    rig:
    let
      manifest = rig.manifest.override { shownDocRoot = "$RIG_DOCS"; };

      # Claude Code reads an absolute path in a permission rule only when it
      # starts with two slashes.
      settings = pkgs.writeText "claude-settings.json" (
        builtins.toJSON (
          {
            permissions.allow =
              map (root: "Read(/${root}/**)") [
                rig.docRoot
                rig.configRoot
                rig.toolRoot
              ]
              ++ map (exe: "Bash(${exe}:*)") rig.allExeNames;
            permissions.deny = lib.concatLists (
              lib.mapAttrsToList (tool: map (pattern: "Bash(${tool} ${pattern}:*)")) rig.denyRules
            );
          }
          // lib.optionalAttrs (modelId != null) { model = modelId; }
        )
      );

      # Prompt commands as a Claude Code plugin.
      plugin = rigupSecrets.writeConfigTree "rig-prompt-commands-cc-plugin" (
        {
          ".claude-plugin/plugin.json" = builtins.toJSON {
            name = "rig";
            description = "Prompt commands of the rig";
            version = "0.0.0";
          };
        }
        // lib.mapAttrs' (
          name: command:
          lib.nameValuePair "commands/${name}.md" ''
            ---
            description: ${builtins.toJSON command.description}
            ${lib.optionalString command.useSubAgent "context: fork"}
            ---

            ${command.template}
          ''
        ) rig.promptCommands
      );
    in
    rigupSecrets.mkSecretEntrypoint {
      name = "claude";
      templates = rig.configRoot;
      # Claude Code is given its MCP config by path; git, gh and the other
      # tools it runs keep the user's own configs.
      callerConfigHome = true;
      script = ''
        export PATH=${lib.escapeShellArg "${rig.toolRoot}/bin"}:"$PATH"
        export RIG_DOCS=${lib.escapeShellArg "${rig.docRoot}"}
        export RIG_MANIFEST=${lib.escapeShellArg "${manifest}"}
        ${lib.optionalString (cfg.userConfigDir != null) "export CLAUDE_CONFIG_DIR=${lib.escapeShellArg cfg.userConfigDir}"}
        exec ${lib.escapeShellArg (lib.getExe cfg.package)} \
          --append-system-prompt "$(cat "$RIG_MANIFEST")" \
          --settings ${lib.escapeShellArg "${settings}"} \
          --mcp-config "$RIGUP_CONFIG_DIR/${mcpConfigPath}" \
          ${lib.optionalString cfg.strictMcpConfig "--strict-mcp-config"} \
          ${lib.optionalString (rig.promptCommands != { }) "--plugin-dir ${lib.escapeShellArg "${plugin}"}"} \
          "$@"
      '';
    };
}
