# Cases for the module types of nix/default.nix in nixpkgs' real
# lib.evalModules. pkgs and rigup-exec are not given: the types need lib
# alone.
#   nix-instantiate --eval --strict --json nix/tests/modules.nix --argstr nixpkgsLib $NIXPKGS_LIB
{ nixpkgsLib }:
let
  lib = import nixpkgsLib;
  rs = import ../default.nix { inherit lib; };
  inherit (lib) mkOption types;

  eval =
    modules:
    (lib.evalModules {
      modules = [
        {
          options = {
            apiKey = mkOption {
              type = rs.types.secret;
              default = rs.mkSecret "mcp.context7_api_key";
            };
            token = mkOption { type = rs.types.secretOr types.str; };
            headers = mkOption {
              type = types.attrsOf types.str;
              default = { };
            };
            maybe = mkOption {
              type = types.nullOr rs.types.secret;
              default = null;
            };
            servers = mkOption {
              type = types.attrsOf (types.submodule {
                options.key = mkOption { type = rs.types.secret; };
              });
              default = { };
            };
          };
        }
      ] ++ modules;
    }).config;

  # rigup.toml's [rigs.<rig>.config] tables, as rigup.nix reads them.
  fromToml = builtins.fromTOML ''
    [apiKey]
    _type = "secret"
    path = "team.context7"

    [servers.gh.key]
    _type = "secret"
    path = "gh.token"
  '';
in
import ./run.nix {
  defaultInterpolates = {
    expr = "Bearer ${(eval [ ]).apiKey}";
    expected = "Bearer {{secrets.mcp.context7_api_key}}";
  };
  # A plain table from rigup.toml becomes a full reference, which
  # interpolates and which a header of type str takes.
  tomlTableIsCanonical =
    let
      c = eval [
        fromToml
        ({ config, ... }: { headers.Authorization = "Bearer ${config.apiKey}"; })
      ];
    in
    {
      expr = {
        inherit (c) headers;
        key = "${c.apiKey}";
        gh = "${c.servers.gh.key}";
        json = (import ../lib.nix).toJSON c.servers;
      };
      expected = {
        headers.Authorization = "Bearer {{secrets.team.context7}}";
        key = "{{secrets.team.context7}}";
        gh = "{{secrets.gh.token}}";
        json = "{\n  \"gh\": {\n    \"key\": \"{{ secrets.gh.token | json }}\"\n  }\n}\n";
      };
    };
  # Two modules giving the same secret merge (lib.mergeEqualOption would
  # not: the references carry functions).
  sameSecretTwice = {
    expr = (eval [ { maybe = rs.mkSecret "a.b"; } { maybe = rs.mkSecret "a.b"; } { maybe = { _type = "secret"; path = "a.b"; }; } ]).maybe.path;
    expected = "a.b";
  };
  priorityOverride = {
    expr = (eval [ { apiKey = lib.mkForce (rs.mkSecret "over.ride"); } { apiKey = rs.mkSecret "not.this"; } ]).apiKey.path;
    expected = "over.ride";
  };
  secretOrTakesEither = {
    expr = map (v: toString (eval [ { token = v; } ]).token) [ "plain" (rs.mkSecret "x.y") ];
    expected = [ "plain" "{{secrets.x.y}}" ];
  };
  descriptions = {
    expr = [ rs.types.secret.description (rs.types.secretOr types.str).description ];
    expected = [ "reference to a rigup-exec secret (mkSecret \"PATH\")" "reference to a rigup-exec secret (mkSecret \"PATH\") or string" ];
  };
}
