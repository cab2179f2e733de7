# Gives every riglet of the rig the module argument `rigupSecrets`: the
# library of nix/default.nix (mkSecret, types.secret, toJSON, ...,
# writeConfigTree, mkSecretEntrypoint, wrapWithSecrets) bound to the rig's
# pkgs and rigup-exec, and `configRoot`, the rig's template root.
self:
{
  config,
  lib,
  pkgs,
  ...
}:
{
  options.rigup-exec.package = lib.mkOption {
    description = "The rigup-exec that renders the rig's templates and runs its entrypoint and wrapped tools";
    type = lib.types.package;
    default = (self.overlays.default pkgs pkgs).rigup-exec;
    defaultText = lib.literalExpression "rigup-exec built with the rig's pkgs";
  };

  config._module.args.rigupSecrets =
    import ../default.nix {
      inherit lib pkgs;
      rigup-exec = config.rigup-exec.package;
    }
    // {
      # The same derivation as rigup.nix's buildRig makes for the rig's
      # configRoot, hence the same store path: a tool wrapped with
      # `templates = rigupSecrets.configRoot` reuses the entrypoint's
      # rendered directory when the agent runs it.
      configRoot = pkgs.symlinkJoin {
        name = "rig-config-root";
        paths = map (riglet: riglet.configFiles) (lib.attrValues config.riglets);
      };
    };

  config.riglets.secrets.meta = {
    description = "Secret references for riglets: rendered by rigup-exec at run time, never in the Nix store";
    intent = "base";
    disclosure = "none";
    status = "experimental";
    version = "0.1.0";
  };
}
