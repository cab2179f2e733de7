# rigup-exec as a package: pkgs.callPackage ./package.nix { version; vendorHash; }
# (flake.nix gives both; nix/vendor-hash computes vendorHash).
{
  lib,
  stdenv,
  buildGoModule,
  openssh,
  age,
  version,
  vendorHash,
}:
buildGoModule {
  pname = "rigup-exec";
  inherit version vendorHash;

  # The Go sources and what they embed: editing the README or the Nix files
  # rebuilds nothing.
  src = lib.cleanSourceWith {
    name = "rigup-exec-source";
    src = ../.;
    filter =
      path: type:
      let
        rel = lib.removePrefix (toString ../. + "/") (toString path);
      in
      if type == "directory" then
        rel != ".git" && rel != "nix" && rel != "bench" && !lib.hasSuffix "/testdata" rel
      else
        lib.hasSuffix ".go" rel || rel == "go.mod" || rel == "go.sum" || lib.hasPrefix "demo/" rel || lib.hasPrefix "direnv/" rel;
  };

  # rigup-exec, and beside it the guard of private MCP definitions.
  subPackages = [
    "."
    "cmd/rigup-exec-guard"
  ];
  env.CGO_ENABLED = 0;
  # Erases what preparing a run leaves in memory (runtime/secret, Go 1.26):
  # see forget_secret.go.
  env.GOEXPERIMENT = "runtimesecret";
  # buildGoModule already builds with -trimpath.
  ldflags = [
    "-s"
    "-w"
    "-X main.version=${version}"
  ];

  # The unit tests of every package; the e2e tests need a built binary, a
  # pseudo-terminal and tools a build sandbox does not have.
  nativeCheckInputs = [
    openssh
    age
  ];
  checkPhase = ''
    runHook preCheck
    go test -count=1 . ./crypto/... ./tmpl/... ./tmpfs/... ./exec/... ./project/... ./relay/... ./mcpproxy/... ./guard/... ./sandbox/...
    runHook postCheck
  '';

  # The direnv library that rigup-exec hook direnv prints (embedded from the
  # same file), for a direnvrc to source; and the completion scripts, made
  # by the binary from its grammar (when the build machine can run it).
  postInstall =
    ''
      install -Dm0444 direnv/use_rig.sh "$out/share/rigup-exec/direnvrc"
    ''
    + lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    mkdir -p $out/share/bash-completion/completions $out/share/zsh/site-functions $out/share/fish/vendor_completions.d
    $out/bin/rigup-exec completion bash > $out/share/bash-completion/completions/rigup-exec
    $out/bin/rigup-exec completion zsh > $out/share/zsh/site-functions/_rigup-exec
    $out/bin/rigup-exec completion fish > $out/share/fish/vendor_completions.d/rigup-exec.fish
  '';

  meta = {
    description = "Run a command with a rig's config templates rendered with its secrets in a private directory in RAM";
    license = lib.licenses.mit;
    mainProgram = "rigup-exec";
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
  };
}
