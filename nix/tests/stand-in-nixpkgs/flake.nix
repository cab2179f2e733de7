# A STAND-IN for nixpkgs, for evaluating rigup-exec's flake offline (nixpkgs
# itself needs a newer Nix than these machines have): the real nixpkgs lib,
# copied in beside this file as ./lib by e2e/nix_test.go, and packages that
# are evaluated, never built. buildGoModule keeps its arguments as `args`
# for the test to read.
{
  outputs = { self }:
    let
      lib = import ./lib;
      pkgsFor = system:
        let
          stub = name: attrs: derivation { inherit name system; builder = "/bin/false"; } // attrs;
          pkgs = {
            inherit lib;
            stdenv.hostPlatform.system = system;
            stdenv.buildPlatform.canExecute = platform: true;
            callPackage = fn: args:
              let f = if builtins.isFunction fn then fn else import fn;
              in f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // args);
            buildGoModule = args: stub "${args.pname}-${args.version}" { inherit args; };
            runCommandLocal = name: env: script: stub name { inherit env script; };
            mkShell = args: stub "shell" { inherit args; };
            python3.withPackages = f: stub "python3-env" { };
            python3Packages.pyyaml = stub "pyyaml" { };
          } // lib.genAttrs [ "go" "gopls" "age" "openssh" "jq" "direnv" "zsh" "vim" "hyperfine" "coreutils" "bash" ] (n: stub n { });
        in pkgs;
    in {
      lib = lib;
      legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ] pkgsFor;
    };
}
