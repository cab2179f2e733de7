# How secrets work in this rig, for the agent and for the people who run it:
# edit, encrypt, run; keys, team recipients, errors and their fixes.
self:
{ ... }:
{
  imports = [ self.riglets.secrets ];

  config.riglets.secret-management = {
    docs = ./secret-management;
    meta = {
      description = "Managing the rig's secrets with rigup-exec: editing, team recipients, errors and fixes";
      intent = "cookbook";
      whenToUse = [
        "A tool or MCP server of the rig needs an API key or token"
        "rigup-exec prints an error or a hint"
        "Someone joins or leaves the team that shares the secrets"
      ];
      keywords = [
        "secrets"
        "rigup-exec"
        "age"
        "ssh"
        "api key"
      ];
      status = "experimental";
      version = "0.1.0";
    };
  };
}
