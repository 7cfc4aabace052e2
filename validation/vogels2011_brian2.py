"""Brian2 side-by-side reference for examples/vogels2011.toml (Brian2's Vogels et al. 2011 example
at glia's rho0 and eta, 0.1 ms delays; cpp_standalone). Usage:
python3 validation/vogels2011_brian2.py RHO0_HZ ETA_NS SECONDS [paper] -- prints the excitatory rate per 2 s.
With `paper`: the conductances of examples/vogels2011_paper.toml (the authors' Auryn port: 3 nS
excitatory, 30 nS inhibitory, plastic I->E from 30 nS, w_max 300 nS)."""
import sys, numpy as np
from brian2 import *
rho0=float(sys.argv[1]); eta_v=float(sys.argv[2]); dur=float(sys.argv[3])
paper=len(sys.argv)>4 and sys.argv[4]=='paper'
w_e, w_i, w0, wmax = (3.0, 30.0, 30.0, 300.0) if paper else (0.3, 3.0, 0.0, 100.0)
set_device('cpp_standalone', directory='/tmp/glia_b2_vogels')
defaultclock.dt=0.1*ms
seed(1)
NE=8000; NI=2000; epsilon=0.02; tau_stdp=20*ms
gl=10*nS; el=-60*mV; er=-80*mV; vt=-50*mV; memc=200*pF; bgcurrent=200*pA
eqs='''dv/dt=(-gl*(v-el)-(g_ampa*v+g_gaba*(v-er))+bgcurrent)/memc : volt (unless refractory)
dg_ampa/dt=-g_ampa/(5*ms) : siemens
dg_gaba/dt=-g_gaba/(10*ms) : siemens'''
neurons=NeuronGroup(NE+NI, eqs, threshold='v>vt', reset='v=el', refractory=5*ms, method='euler')
neurons.v='el+(vt-el)*rand()'
Pe=neurons[:NE]; Pi=neurons[NE:]
ce=Synapses(Pe, neurons, on_pre='g_ampa+=w_e*nS', delay=0.1*ms); ce.connect(p=epsilon)
cii=Synapses(Pi, Pi, on_pre='g_gaba+=w_i*nS', delay=0.1*ms); cii.connect(p=epsilon)
alpha=rho0*Hz*tau_stdp*2; eta=eta_v
cie=Synapses(Pi, Pe, '''w:1
dApre/dt=-Apre/tau_stdp:1 (event-driven)
dApost/dt=-Apost/tau_stdp:1 (event-driven)''', on_pre='''Apre+=1.
w=clip(w+(Apost-alpha)*eta,0,wmax)
g_gaba+=w*nS''', on_post='''Apost+=1.
w=clip(w+Apre*eta,0,wmax)''', delay=0.1*ms)
cie.connect(p=epsilon); cie.w=w0
sm=SpikeMonitor(Pe)
run(dur*second)
t=np.asarray(sm.t/second)
print('brian2 exc rate per 2 s:', np.round(np.histogram(t, np.arange(0,dur+1e-9,2.0))[0]/NE/2.0,2).tolist())
