# shellcheck shell=bash
#
# rigup-exec's direnv library: `use rig` puts the tools of a rig built by
# rigup.nix on PATH, and tells rigup-exec where the rig's config templates
# and the project's secrets are.
#
# It never decrypts, and never exports a secret value or XDG_CONFIG_HOME:
# direnv copies every value an .envrc exports into DIRENV_DIFF, which every
# process started from the shell inherits, and a rendered directory exported
# from here would outlive every process that used it. The rig's wrapped
# tools render their configs themselves, each run through rigup-exec, into
# a private directory in RAM that is wiped when the tool exits.
#
# Load it from an .envrc, with rigup-exec on PATH:
#
#    eval "$(rigup-exec hook direnv)"
#    use rig ./result
#
# or for every .envrc, from ~/.config/direnv/direnvrc, with the rigup-exec
# of a Nix profile:
#
#    source ~/.nix-profile/share/rigup-exec/direnvrc
#
# `rigup-exec hook direnv` prints this file, and the Nix package installs it
# as share/rigup-exec/direnvrc.

# Usage: use rig [<ref>]
#
# Loads a rig built by rigup.nix. <ref> is either
#
# - the path of a built rig: a rig's home, as `rigup build` makes it
#   (.rigup/<rig>) and as `nix build .#rigs.<system>.<rig>.home` links it
#   (./result), or a directory with a bin/ (a rig's toolRoot, an
#   entrypoint). Without <ref>: .rigup/default, else ./result;
# - a flake reference, which holds a # or starts with a URL scheme
#   (.#default, github:me/rigs#dev): built with nix build, see
#   rigup_build_rig.
#
# It exports
#
# - PATH: the rig's tools (.local/bin of a rig's home, else bin/), prepended;
# - RIGUP_TEMPLATES: the rig's template root, its .config (the rig's
#   configRoot), resolved to its store path, which is the root the wrapped
#   tools render; not set when the rig has no .config;
# - RIGUP_SECRETS_FILE: the project's rigup.secrets.toml.age, absolute
#   (see rigup_secrets_file), set even when the rig is not built yet;
# - RIG_MANIFEST and RIG_DOCS: the rig's RIG.md and docs/, when it has them.
#
# A path is resolved once, so that everything exported names the same
# build. Changes to the secrets file, rigup.secrets.recipients beside it,
# rigup.toml, rigup.local.toml, flake.nix, flake.lock and the rig's link
# reload the environment (see rigup_watch_project).
#
# Example:
#
#    use rig                   # .rigup/default, else ./result
#    use rig ./result
#    use rig .#default         # nix build .#rigs.<system>.default.home
#
use_rig() {
  local ref=${1-} secrets root bin file flake

  if (($# > 1)); then
    log_error "use rig: one rig at most, not $#: $*"
    return 1
  fi

  secrets=$(rigup_secrets_file)
  export RIGUP_SECRETS_FILE=$secrets
  watch_file "$secrets" "${secrets%/*}/rigup.secrets.recipients"
  rigup_watch_project .
  if [[ ! -f $secrets ]]; then
    log_status "use rig: no $(user_rel_path "$secrets") yet: rigup-exec secrets edit creates it"
  fi

  if [[ -z $ref ]]; then
    watch_file .rigup/default result
    if [[ -e .rigup/default || -L .rigup/default ]]; then
      ref=.rigup/default
    elif [[ -e result || -L result ]]; then
      ref=./result
    else
      log_error "use rig: no rig built here, neither .rigup/default nor ./result: build one with rigup build, or name it (use rig .#default)"
      return 1
    fi
  fi

  if [[ $ref == *'#'* || $ref =~ ^[A-Za-z][A-Za-z0-9+.-]*: ]]; then
    flake=${ref%%#*}
    case $flake in
    '' | . | ./* | ../* | /*) rigup_watch_project "$flake" ;;
    path:*) rigup_watch_project "${flake#path:}" ;;
    esac
    root=$(rigup_build_rig "$ref") || return 1
  else
    watch_file "$ref"
    if [[ ! -d $ref ]]; then
      log_error "use rig: $ref does not exist: build the rig first (rigup build, or nix build .#rigs.<system>.<rig>.home)"
      return 1
    fi
    root=$(cd "$ref" && pwd -P) || return 1
    if [[ -L $ref ]]; then
      for file in rigup.toml rigup.local.toml flake.nix flake.lock; do
        if [[ -f $file && -n $(find "$file" -prune -newer "$ref") ]]; then
          log_status "use rig: $file changed after $ref was built: rebuild the rig"
        fi
      done
    fi
  fi

  if [[ -d $root/.local/bin ]]; then
    bin=$root/.local/bin
  elif [[ -d $root/bin ]]; then
    bin=$root/bin
  else
    log_error "use rig: $ref is not a built rig: it has neither .local/bin (a rig's home) nor bin/"
    return 1
  fi
  PATH_add "$bin"

  if [[ -d $root/.config ]]; then
    RIGUP_TEMPLATES=$(cd "$root/.config" && pwd -P) || return 1
    export RIGUP_TEMPLATES
  else
    log_status "use rig: $ref has no .config: RIGUP_TEMPLATES is not set (wrapped tools name their own)"
  fi
  if [[ -f $root/RIG.md ]]; then
    export RIG_MANIFEST=$root/RIG.md
  fi
  if [[ -d $root/docs ]]; then
    export RIG_DOCS=$root/docs
  fi
  log_status "use rig: $root"
}

# Usage: rigup_secrets_file
#
# Prints the absolute path of the project's secrets file: the nearest
# rigup.secrets.toml.age from the current directory (the .envrc's) up, as
# rigup-exec finds it, else rigup.secrets.toml.age here, where
# rigup-exec secrets edit will create it. To use another file, export
# RIGUP_SECRETS_FILE after use rig.
#
# Example:
#
#    cd /src/project/sub
#    rigup_secrets_file
#    # output: /src/project/rigup.secrets.toml.age
#
rigup_secrets_file() {
  find_up rigup.secrets.toml.age || echo "$PWD/rigup.secrets.toml.age"
}

# Usage: rigup_watch_project <dir>
#
# Watches what a rig of the project in <dir> is built from: rigup.toml,
# rigup.local.toml, flake.nix and flake.lock, whether they exist yet or not.
# A change reloads the environment; a rig given by path is not rebuilt by
# that, and use rig says so. Riglets in files of their own are not watched:
# add watch_file or watch_dir for them, or run direnv reload.
#
# Example:
#
#    rigup_watch_project .
#    rigup_watch_project ../rigs
#
rigup_watch_project() {
  local dir=${1:-.}
  watch_file "$dir/rigup.toml" "$dir/rigup.local.toml" "$dir/flake.nix" "$dir/flake.lock"
}

# Usage: rigup_build_rig <flake-ref>
#
# Builds a rig with nix build and prints the store path it built. As with
# rigup build, FLAKE#RIG (a name without dots) is the rig's home,
# FLAKE#rigs.<system>.RIG.home, and FLAKE alone or FLAKE# is the rig
# "default"; an attribute path with dots (FLAKE#rigs.x86_64-linux.dev.toolRoot)
# is built as it is. The result is linked from direnv's layout directory
# (.direnv/rig-<ref>), which keeps it from the garbage collector. The link
# is read back rather than asking nix for the path: Nix 2.8 has no
# --print-out-paths. Each load evaluates the flake again, as direnv's
# use flake does.
#
# Example:
#
#    rigup_build_rig .#default
#    # output: /nix/store/...-rig-home
#
rigup_build_rig() {
  local ref=$1 flake attr system link layout
  local -a nix=(nix --extra-experimental-features 'nix-command flakes')

  if ! has nix; then
    log_error "use rig: nix is not on PATH: it is needed to build $ref"
    return 1
  fi
  flake=${ref%%#*}
  flake=${flake:-.}
  attr=
  if [[ $ref == *'#'* ]]; then
    attr=${ref#*#}
  fi
  attr=${attr:-default}
  if [[ $attr != *.* ]]; then
    system=$("${nix[@]}" eval --impure --raw --expr builtins.currentSystem) || return 1
    attr=rigs.$system.$attr.home
  fi
  layout=$(direnv_layout_dir)
  link=$layout/rig-${ref//[!A-Za-z0-9._-]/_}
  mkdir -p "$layout"
  log_status "use rig: nix build $flake#$attr"
  if ! "${nix[@]}" build --out-link "$link" "$flake#$attr" >&2; then
    log_error "use rig: nix build $flake#$attr failed"
    return 1
  fi
  (cd "$link" && pwd -P)
}
