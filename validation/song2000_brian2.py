"""Brian2 side-by-side reference for examples/song2000.toml (the paper's parameters, same rule and
learning rate; cpp_standalone). Usage: python3 validation/song2000_brian2.py RATE_HZ A_REL SECONDS
Prints the output rate per 50 s and the histogram of w/g_max (10 bins)."""
import sys, numpy as np
from brian2 import *
rate_in = float(sys.argv[1]); a_rel = float(sys.argv[2]); dur = float(sys.argv[3])
set_device('cpp_standalone', directory=f'/tmp/glia_b2_song_{int(rate_in)}')
defaultclock.dt = 0.1*ms
seed(1)
taum=20*ms; El=-70*mV; Ee=0*mV; Ei=-70*mV; vt=-54*mV; vr=-60*mV
gmax=0.015; dApre=a_rel*gmax; dApost=-1.05*dApre
eqs='''dv/dt=(El-v+ge*(Ee-v)+gi*(Ei-v))/taum : volt
dge/dt=-ge/(5*ms) : 1
dgi/dt=-gi/(5*ms) : 1'''
post=NeuronGroup(1, eqs, threshold='v>vt', reset='v=vr', method='euler'); post.v=El
inp=PoissonGroup(1000, rate_in*Hz); inh=PoissonGroup(200, 10*Hz)
S=Synapses(inp, post, '''w:1
dApre/dt=-Apre/(20*ms):1 (event-driven)
dApost/dt=-Apost/(20*ms):1 (event-driven)''',
 on_pre='''ge+=w
Apre+=dApre
w=clip(w+Apost,0,gmax)''', on_post='''Apost+=dApost
w=clip(w+Apre,0,gmax)''')
S.connect(); S.w='rand()*gmax'
Si=Synapses(inh, post, on_pre='gi+=0.05'); Si.connect()
sm=SpikeMonitor(post)
run(dur*second)
t=np.asarray(sm.t/second); w=np.asarray(S.w)/gmax
bins=np.arange(0,dur+1e-9,50.0)
print('rate', rate_in, 'per 50 s:', np.round(np.histogram(t,bins)[0]/50.0,1).tolist())
print(' hist', np.histogram(w,bins=10,range=(0,1))[0].tolist(), 'mean w', w.mean())
