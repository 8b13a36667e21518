package query

// Diff under a profile that leaves behaviours unknown (undecided.go): the
// pairs are compared in every combination of the values either state
// depends on, base and next each under the same values.

// diffRuns are the main run of a diff (base and next as given) and, when
// the profile leaves behaviours unknown that either state depends on, one
// run per other combination of their values: base and next each under
// those values.
func diffRuns(base, next *Snapshot) ([]*diffRun, error) {
	runs := []*diffRun{newDiffRun(base, next)}
	if base.opts.assume != nil || next.opts.assume != nil {
		return runs, nil // variants have none of their own
	}
	unknown := unknownsOf(base, next)
	if len(unknown) == 0 {
		return runs, nil
	}
	if len(unknown) > maxUnknowns {
		return runs, tooManyUnknowns(next.opts.Profile, len(unknown))
	}
	bvs, err := base.variants()
	if err != nil {
		return runs, err
	}
	nvs, err := next.variants()
	if err != nil {
		return runs, err
	}
	bu, nu := base.relevantUnknowns(), next.relevantUnknowns()
	spec := semanticsOf(SpecProfile(), nil)
	for combo := 1; combo < 1<<len(unknown); combo++ {
		assume := map[Behaviour]bool{}
		for i, b := range unknown {
			// the API text's value, flipped where combo says, as variants do
			assume[b] = spec.value(b) != (combo&(1<<i) != 0)
		}
		bv := variantAssuming(base, bvs, bu, assume)
		// next's variant assumes every value, so that what the answer
		// depends on is said from next (dependsOn).
		var nv *Snapshot
		if len(nu) == len(unknown) {
			nv = variantAssuming(next, nvs, nu, assume)
		} else {
			opts := next.opts
			opts.assume = assume
			if nv, err = next.rebuild(next.objects, opts); err != nil {
				return runs[:1], err
			}
		}
		runs = append(runs, newDiffRun(bv, nv))
	}
	return runs, nil
}

// variantAssuming is s, or the variant of it among vs, that takes the
// values assume gives the behaviours s depends on (of).
func variantAssuming(s *Snapshot, vs []*Snapshot, of []Behaviour, assume map[Behaviour]bool) *Snapshot {
	takes := func(value func(Behaviour) bool) bool {
		for _, b := range of {
			if value(b) != assume[b] {
				return false
			}
		}
		return true
	}
	for _, v := range vs {
		if takes(func(b Behaviour) bool { return v.opts.assume[b] }) {
			return v
		}
	}
	return s // every value the API text's
}

// peer is the run's own peer of a name: its workload with its pods in the
// run's snapshots; address regions are the same in every run.
func (r *diffRun) peer(p *diffPeer) *diffPeer {
	if p.region != nil {
		return p
	}
	if q, ok := r.peers[p.name]; ok {
		return q
	}
	return &diffPeer{name: p.name}
}

// undecided is the ports of src -> dst whose before or after verdict
// differs between the main run and another, marking the runs that differ.
func (row *diffRow) undecided(runs []*diffRun, src, dst *diffPeer, before, after PortSet) PortSet {
	var out PortSet
	for i, r := range runs[1:] {
		vs, vd := r.peer(src), r.peer(dst)
		b, _ := r.base.peerPorts(vs, vd, true)
		a, _ := r.next.peerPorts(vs, vd, false)
		if d := symDiff(before, b).Union(symDiff(after, a)); !d.IsEmpty() {
			out = out.Union(d)
			row.differs[i+1] = true
		}
	}
	return out
}

// undecidedWarnings are the warnings of a diff about its profile.
func (res *DiffResult) undecidedWarnings(runs []*diffRun, err error) []Warning {
	next := runs[0].next
	var differs []*Snapshot
	for i, r := range runs {
		if res.differs[i] {
			differs = append(differs, r.next)
		}
	}
	return append(undecidedWarnings(res.Summary.Undecided, "change", next.questions(differs)), next.unsettled(err)...)
}
