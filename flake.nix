{
  description = "rigup-exec: secrets for rigup.nix rigs, rendered in RAM at run time, never in the Nix store";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";

  outputs =
    { self, nixpkgs }:
    let
      version = "0.1.0-${self.shortRev or "dirty"}";
      # The hash of `go mod vendor`'s output: nix/vendor-hash computes it,
      # and CI fails when it is stale.
      vendorHash = "sha256-QM8xojpUbAQ2BeXhUHk1w7wLs8IYxM6v+H8s02FsZYA=";

      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems =
        f:
        builtins.listToAttrs (
          map (system: {
            name = system;
            value = f nixpkgs.legacyPackages.${system};
          }) systems
        );
      # go.mod asks for Go 1.26: its builder where nixpkgs names one.
      package =
        pkgs:
        pkgs.callPackage ./nix/package.nix {
          inherit version vendorHash;
          buildGoModule = pkgs.buildGo126Module or pkgs.buildGoModule;
        };

      # The evaluation tests of the Nix library, as a check: the result
      # names every failing case.
      evalTests =
        pkgs: name: results:
        if results.failures == [ ] then
          pkgs.runCommandLocal name { } "echo ${toString results.count} cases passed > $out"
        else
          throw "${name}: ${builtins.toJSON results.failures}";
    in
    {
      # mkSecret, isSecret, secretPaths, containsSecrets, toJSON, toTOML,
      # toYAML, placeholder, shellHook, build: builtins alone.
      lib = import ./nix/lib.nix;

      # For rigup.toml: riglets.rigup-exec = [ "claude-code-secrets" ... ]
      riglets = import ./nix/riglets self;

      overlays.default = final: prev: { rigup-exec = package final; };

      packages = forAllSystems (pkgs: {
        default = package pkgs;
        rigup-exec = package pkgs;
      });

      checks = forAllSystems (pkgs: {
        package = package pkgs;
        nix-lib = evalTests pkgs "nix-lib-tests" (import ./nix/tests/lib.nix);
        nix-module-types = evalTests pkgs "nix-module-types-tests" (
          import ./nix/tests/modules.nix { nixpkgsLib = "${nixpkgs}/lib"; }
        );
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = with pkgs; [
            go
            gopls
            age
            openssh
            jq
            direnv
            zsh
            vim
            hyperfine
            (python3.withPackages (ps: [ ps.pyyaml ]))
          ];
          shellHook = ''
            echo "rigup-exec: go run . demo, then go test ./..." >&2
          '';
        };
      });
    };
}
