# The rigup-exec Nix library for modules and builds:
#
#   import ./default.nix { lib = nixpkgs.lib; pkgs; rigup-exec; }
#
# is everything in lib.nix (mkSecret, the serializers, ...) plus module types
# and builders. The types need `lib` alone: `pkgs` and `rigup-exec` are only
# touched by the builders, so they may be left out where none is used.
{
  lib,
  pkgs ? throw "rigup-exec: this builder needs pkgs: pass it to nix/default.nix",
  rigup-exec ? throw "rigup-exec: this builder needs the rigup-exec package: pass it to nix/default.nix",
}:
let
  secretsLib = import ./lib.nix;
  inherit (secretsLib) isSecret mkSecret;

  secret = lib.mkOptionType {
    name = "secret";
    description = "reference to a rigup-exec secret (mkSecret \"PATH\")";
    descriptionClass = "noun";
    check = isSecret;
    # By path, not by value: a reference carries a function (for
    # interpolation), and Nix never finds two functions equal. The result is
    # rebuilt with mkSecret, so that a table written in rigup.toml,
    # { _type = "secret", path = "mcp.key" }, interpolates like any other.
    merge =
      loc: defs:
      let
        paths = lib.unique (map (d: d.value.path or null) defs);
        bad = lib.filter (d: !(secretsLib.isValidPath (d.value.path or null))) defs;
      in
      if bad != [ ] then
        throw "The option `${lib.showOption loc}' is given a secret reference without a valid path in `${(lib.head bad).file}': ${
          if (lib.head bad).value ? path then "${builtins.toJSON (lib.head bad).value.path} is not" else "it has no `path', which must be"
        } a dotted key path such as \"mcp.context7_api_key\""
      else if lib.length paths == 1 then
        mkSecret (lib.head paths)
      else
        throw "The option `${lib.showOption loc}' refers to different secrets:${
          lib.concatMapStrings (d: "\n- In `${d.file}': ${builtins.toJSON (d.value.path or null)}") defs
        }";
  };

  toolchain = {
    system = pkgs.stdenv.hostPlatform.system;
    shell = pkgs.runtimeShell;
    coreutils = "${pkgs.coreutils}/bin";
  };
  build = secretsLib.build toolchain;
  rigupExec = lib.getExe rigup-exec;
in
secretsLib
// {
  types = {
    inherit secret;
    # A secret or a value of TYPE, as in `secretOr types.str`.
    secretOr = type: lib.types.either secret type;
  };

  # A store directory usable as a riglet's configFiles:
  #   writeConfigTree "gh-config" { "gh/hosts.yml" = toYAML { ... }; }
  writeConfigTree = build.configTree;

  # A rig entrypoint: bin/NAME runs SCRIPT, a shell script, under
  # rigup-exec with TEMPLATES rendered. The script reads $RIGUP_CONFIG_DIR
  # at run time, as in
  #   claude --mcp-config "$RIGUP_CONFIG_DIR/rigup/claude-code/mcp.json" "$@"
  # With callerConfigHome = true it runs with the caller's XDG_CONFIG_HOME
  # (see nix/lib.nix).
  mkSecretEntrypoint =
    {
      name,
      templates,
      script,
      callerConfigHome ? false,
    }:
    build.entrypoint {
      inherit
        name
        templates
        script
        rigupExec
        callerConfigHome
        ;
    };

  # The TOOLS' executables, each run through rigup-exec with TEMPLATES
  # rendered; nested in a rigup-exec session for the same TEMPLATES (a rig's
  # entrypoint), they reuse its directory: no decryption, no prompt.
  wrapWithSecrets =
    {
      name,
      tools,
      templates,
    }:
    build.wrapTools {
      inherit
        name
        tools
        templates
        rigupExec
        ;
    };
}
