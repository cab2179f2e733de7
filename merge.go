package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"rigup-exec/crypto"
	"rigup-exec/project"
	"rigup-exec/tmpl"
)

// Merging the secrets: git's merge driver, and finishing a merge that git
// left in conflict. Both decrypt three versions in memory, in secret mode,
// merge them key by key (project.MergeSecrets), encrypt the result to the
// recipients project.MergeRecipients settles on, and wipe the plaintexts.

// versions is the ciphertext of the three versions of a merge.
type versions struct {
	base         []byte // nil: no common ancestor
	ours, theirs []byte
}

// mergeJob is what the two ways of merging differ in.
type mergeJob struct {
	name         string // the secrets file, for messages
	recipients   string // the path of the recipients file
	listedMerged bool   // git has merged the recipients file already
	prefer       project.Prefer
	// save encrypts the merged plaintext to rs and writes it.
	save func(plaintext []byte, rs []crypto.Recipient) error
}

// mergeDriver is git's merge driver: it merges the versions in the files
// git names, and replaces ours with the result. On any failure ours is
// left as it was, and the error makes git report a conflict. inRepo is
// where the secrets file is in the repository (git's %P, relative to the
// top of the work tree, where git runs its driver), to find the
// recipients file beside it; without it, the secrets file is looked for
// as the run path looks for it.
func (c *CLI) mergeDriver(ui *ui, base, ours, theirs, inRepo string) error {
	name, secrets := inRepo, c.abs(inRepo)
	if inRepo == "" {
		var err error
		if secrets, err = c.secretsPath(); err != nil {
			return err
		}
		name = project.SecretsFile
	}
	recipients := filepath.Join(filepath.Dir(secrets), project.RecipientsFile)
	base, ours, theirs = c.abs(base), c.abs(ours), c.abs(theirs)
	var v versions
	var err error
	if v.ours, err = readVersion(ours, project.Ours); err != nil {
		return err
	}
	if v.theirs, err = readVersion(theirs, project.Theirs); err != nil {
		return err
	}
	if v.base, err = readVersion(base, project.Base); err != nil {
		return err
	}
	if len(v.base) == 0 {
		v.base = nil // git gives an empty ancestor when there is none
	}
	return c.merge(ui, v, mergeJob{
		name:       name,
		recipients: recipients,
		save: func(plaintext []byte, rs []crypto.Recipient) error {
			return project.SaveAs(ours, plaintext, rs)
		},
	})
}

// finishMerge merges the versions of the secrets file that git's index
// holds after a conflict, to the recipients of the recipients file as git
// merged it, and writes the secrets file.
func (c *CLI) finishMerge(ui *ui, prefer project.Prefer) error {
	p, err := c.openProject(ui, false)
	if err != nil {
		return err
	}
	defer p.Close()
	v, err := c.gitStages(p.Secrets)
	if err != nil {
		return err
	}
	err = c.merge(ui, v, mergeJob{
		name:         display(p.Secrets),
		recipients:   p.Recipients,
		listedMerged: true,
		prefer:       prefer,
		save: func(plaintext []byte, rs []crypto.Recipient) error {
			return save(ui, p, plaintext, rs, nil)
		},
	})
	if err != nil {
		return err
	}
	ui.notef("mark it resolved with git add %s", display(p.Secrets))
	return nil
}

// readVersion reads a version git gives the merge driver.
func readVersion(path string, v project.Version) ([]byte, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", v, err)
	}
	return data, nil
}

// merge merges v key by key and saves the result, or says why not.
func (c *CLI) merge(ui *ui, v versions, job mergeJob) error {
	file, err := readRecipients(job.recipients)
	if err != nil {
		if job.listedMerged {
			return hint(err, "resolve the conflict in "+project.RecipientsFile+" first, then run rigup-exec secrets merge again")
		}
		return err
	}
	keys, err := c.loadKeys(ui)
	if err != nil {
		return err
	}
	keyPaths, _ := c.identityPaths()
	own := ownRecipients(keys, keyPaths)
	candidates := project.Union(file.Keys, own)

	// Whom to encrypt to is settled from the headers first: a merge that
	// would lock a key out fails before any passphrase is asked.
	var base *crypto.Header
	if v.base != nil {
		h, err := crypto.ReadHeader(bytes.NewReader(v.base), candidates)
		if err != nil {
			return fmt.Errorf("%s of %s: %w", project.Base, job.name, err)
		}
		base = &h
	}
	ours, err := crypto.ReadHeader(bytes.NewReader(v.ours), candidates)
	if err != nil {
		return fmt.Errorf("%s of %s: %w", project.Ours, job.name, err)
	}
	theirs, err := crypto.ReadHeader(bytes.NewReader(v.theirs), candidates)
	if err != nil {
		return fmt.Errorf("%s of %s: %w", project.Theirs, job.name, err)
	}
	rm, err := project.MergeRecipients(base, ours, theirs, file.Keys, job.listedMerged)
	if err != nil {
		return mergeRecipientsError(err, job)
	}

	var merged *project.Merged
	forgetting(func() {
		var plain [3][]byte
		defer func() {
			for _, p := range plain {
				clear(p)
			}
		}()
		for i, in := range []struct {
			version project.Version
			data    []byte
		}{{project.Base, v.base}, {project.Ours, v.ours}, {project.Theirs, v.theirs}} {
			if in.data == nil {
				continue
			}
			if plain[i], err = crypto.Decrypt(bytes.NewReader(in.data), fmt.Sprintf("%s of %s", in.version, job.name), keys); err != nil {
				err = decryptVersionError(err, in.version, job, keys)
				return
			}
		}
		if merged, err = project.MergeSecrets(plain[0], plain[1], plain[2], job.prefer); err != nil {
			return
		}
		err = job.save(merged.Text, rm.Keys)
		clear(merged.Text)
	})
	if err != nil {
		return mergeSecretsError(err, job)
	}
	showMerge(ui, job, merged, rm, own)
	return nil
}

// showMerge says what the merge took from each side, and whom it is
// encrypted to when that changed.
func showMerge(ui *ui, job mergeJob, m *project.Merged, rm project.RecipientsMerge, own []crypto.Recipient) {
	ui.notef("%s merged key by key: %s from ours, %s from theirs", job.name,
		plural(len(m.FromOurs), "change"), plural(len(m.FromTheirs), "change"))
	if len(m.Settled) > 0 {
		side := "ours"
		if job.prefer == project.PreferTheirs {
			side = "theirs"
		}
		ui.notef("%s in conflict settled with %s: %s", plural(len(m.Settled), "key"), side, strings.Join(m.Settled, ", "))
	}
	if m.Layout == project.Rewritten {
		ui.warnf("the two sides' texts do not merge line by line: %s is written anew from the merged values, without the comments and layout of either", job.name)
	}
	for _, v := range []project.Version{project.Ours, project.Theirs} {
		for _, r := range rm.Added[v] {
			ui.notef("recipient added by %s: %s", v, describeRecipient(r))
		}
		for _, r := range rm.Removed[v] {
			ui.notef("recipient removed by %s: %s", v, describeRecipient(r))
		}
	}
	if job.listedMerged && rm.X25519Ours+rm.X25519Theirs > 0 &&
		(rm.X25519Listed != rm.X25519Ours || rm.X25519Listed != rm.X25519Theirs) {
		ui.notef("encrypted to the %s %s lists (ours was encrypted to %d, theirs to %d)",
			plural(rm.X25519Listed, "age1 (X25519) key"), project.RecipientsFile, rm.X25519Ours, rm.X25519Theirs)
	}
	mine := false
	for _, r := range own {
		mine = mine || project.Has(rm.Keys, r)
	}
	if !mine {
		ui.warnf("the merge of %s is not encrypted to any key of yours: you cannot decrypt it", job.name)
	}
}

// decryptVersionError says why a version cannot be decrypted. The
// ancestor is the one that a recipient added since cannot read: without
// it, which side changed a key cannot be told.
func decryptVersionError(err error, v project.Version, job mergeJob, keys []*crypto.Key) error {
	var noMatch *crypto.NoMatchError
	if v != project.Base || !errors.As(err, &noMatch) {
		return decryptError(err, keys, filepath.Join(filepath.Dir(job.recipients), project.SecretsFile))
	}
	return hint(fmt.Errorf("none of your SSH keys can decrypt the ancestor of %s (encrypted before you were a recipient?): without it, which side changed a key cannot be told", job.name),
		"a teammate who could read it can merge; or keep one side with git checkout --ours (or --theirs) "+job.name+", and put the other side's changes in with rigup-exec secrets edit")
}

// mergeRecipientsError says why the recipients of a merge cannot be
// settled, and what to do.
func mergeRecipientsError(err error, job mergeJob) error {
	later := "once git has merged " + project.RecipientsFile + ", run rigup-exec secrets merge to finish the merge of " + job.name
	if job.listedMerged {
		later = "list every recipient in " + project.RecipientsFile + ", then run rigup-exec secrets merge again"
	}
	var ve *project.VersionError
	var unnamed *project.UnnamedError
	var unsupported *project.UnsupportedError
	var count *project.X25519CountError
	switch {
	case errors.As(err, &ve) && errors.As(err, &unnamed):
		where := project.RecipientsFile + " (ours: git merges it later)"
		if job.listedMerged {
			where = project.RecipientsFile
		}
		return hint(fmt.Errorf("%s of %s is encrypted to %s that neither your keys nor %s name: the merge would lock %s out",
			ve.Version, job.name, plural(unnamed.UnknownSSH, "SSH key"), where, itOrThem(unnamed.UnknownSSH)), later)
	case errors.As(err, &ve) && errors.As(err, &unsupported) && unsupported.Scrypt:
		return hint(fmt.Errorf("%s of %s is encrypted with a passphrase (age -p), not to keys: rigup-exec cannot merge it", ve.Version, job.name),
			"merge it by hand with age -d and age -R "+project.RecipientsFile)
	case errors.As(err, &ve) && errors.As(err, &unsupported):
		return hint(fmt.Errorf("%s of %s is also encrypted to %s of a type rigup-exec cannot encrypt to (%s): the merge would lock %s out",
			ve.Version, job.name, plural(unsupported.Keys, "key"), strings.Join(unsupported.Others, ", "), itOrThem(unsupported.Keys)),
			"merge it by hand with age itself")
	case errors.As(err, &count) && count.NoCommonBase:
		return hint(fmt.Errorf("%s has no common ancestor, and ours is encrypted to %s, theirs to %d, %s lists %d: which cannot be told",
			job.name, plural(count.Ours, "age1 (X25519) key"), count.Theirs, project.RecipientsFile, count.Listed), later)
	case errors.As(err, &count) && count.TheirsChanged:
		return hint(fmt.Errorf("theirs changed the age1 (X25519) keys %s is encrypted to (the ancestor's %d, theirs %d), which cannot be told apart",
			job.name, count.Base, count.Theirs), later)
	case errors.As(err, &count):
		return hint(fmt.Errorf("ours of %s is encrypted to %s, and %s lists %d",
			job.name, plural(count.Ours, "age1 (X25519) key"), project.RecipientsFile, count.Listed),
			"settle ours first: abort the merge, run rigup-exec secrets rekey and commit, then merge again")
	case errors.Is(err, project.ErrNobody):
		return fmt.Errorf("the merge of %s would be encrypted to nobody", job.name)
	}
	return err
}

// mergeSecretsError says why the secrets do not merge, and what to do.
func mergeSecretsError(err error, job mergeJob) error {
	var conflicts *project.ConflictError
	var ve *project.VersionError
	var syntax *tmpl.SyntaxError
	switch {
	case errors.As(err, &conflicts):
		var keys []string
		for _, c := range conflicts.Conflicts {
			keys = append(keys, c.String())
		}
		left := "ours is left as it was"
		if job.listedMerged {
			left = "nothing saved"
		}
		hints := []string{
			"settle them all with one side's values, keeping the other changes of both: rigup-exec secrets merge --ours (or --theirs)",
			"then set what you need with rigup-exec secrets edit, and git add " + job.name,
		}
		return hint(fmt.Errorf("%s: %s changed on both sides, %s: %s",
			job.name, plural(len(keys), "key"), left, strings.Join(keys, ", ")), hints...)
	case errors.As(err, &ve) && errors.As(err, &syntax):
		return hint(fmt.Errorf("%s of %s is %s", ve.Version, job.name, syntax),
			"fix it on its branch with rigup-exec secrets edit, then merge again")
	}
	var we *project.WriteError
	if errors.As(err, &we) {
		return fmt.Errorf("writing %s: %w", display(we.Path), we.Err)
	}
	return err
}
