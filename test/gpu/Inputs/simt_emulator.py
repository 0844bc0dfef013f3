#!/usr/bin/env python3
"""Executes the hand-built GPU kernels of xgenmm on the CPU, for tests.

Input: a module in MLIR's generic form (--mlir-print-op-generic) as it is
right after the kernel passes (gpu.launch ops in host functions, before
outlining). One host function is interpreted: host views, allocations and
copies with numpy, and every gpu.launch block by block, the block's threads
in lockstep as numpy lanes (each SSA value an array over the threads, or a
scalar where uniform):

  scf.if         both branches, each under its lanes' predicate (loads of
                 inactive lanes read a clamped index; stores are masked)
  scf.for        bounds must be uniform in the block
  gpu.barrier    nothing to do (lockstep)
  gpu.shuffle    xor / idx / down / up within 32-lane warps
  nvvm.mma.sync  m16n8k16 bf16 x bf16 -> f32, the fragment layouts of the
                 PTX ISA ("Matrix fragments for mma.m16n8k16 with floating
                 point type"): lane = 4 g + t; A regs (g, 2t..2t+1),
                 (g+8, 2t..), (g, 2t+8..), (g+8, 2t+8..); B regs
                 (k = 2t..2t+1, n = g), (k = 2t+8.., n = g); C (g, 2t + j),
                 (g+8, 2t + j). The products are exact, the sums in float64.
  nvgpu.ldmatrix m8n8 x1/x2/x4 b16, .trans or not (layouts: the ISA's
                 "ldmatrix"); row addresses must be 16-byte aligned
  alignment      vector loads and stores that promise an alignment are
                 checked against their byte address in the allocation
                 (memref.view offsets included; allocations assumed aligned)
  bf16           float32 values rounded to nearest even on truncf; a 32-bit
                 register of two bf16 is kept as the pair ([..., 2]).

Running warps in lockstep is one legal schedule: a missing barrier is not
detected. Usage (a harness supplies the arguments):

  import simt_emulator
  outs = simt_emulator.run(module_text, "func_name", [numpy arrays / ints])
"""
import re
import sys

import numpy as np

LANES_WARP = 32


def bf16(x):
    """float32 -> nearest-even bf16, kept as float32."""
    a = np.asarray(x, dtype=np.float32)
    bits = a.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(a), a, out)


# --- parsing the generic form -------------------------------------------

OP_RE = re.compile(r'^\s*(?:(%[\w.$-]+)(?::(\d+))?\s*=\s*)?"([\w.]+)"\((.*?)\)(.*)$')
BLOCK_RE = re.compile(r'^\s*\^[\w]+(?:\((.*)\))?:\s*$')


class Op:
    def __init__(self, name, results, operands, rest):
        self.name, self.results, self.operands, self.rest = name, results, operands, rest
        self.regions = []  # list of list of (args, ops)

    def attr(self, key):
        m = re.search(r'\b' + re.escape(key) + r' = ([^,}>]+(?:<[^>]*>)?)', self.rest)
        return m.group(1).strip() if m else None

    def result_types(self):
        sig = self.rest[self.rest.rfind(') -> ') + 5:] if ') -> ' in self.rest else ''
        sig = sig.strip()
        if sig.startswith('('):
            sig = sig[1:-1]
        return split_types(sig)

    def operand_types(self):
        i = self.rest.rfind(' : (')
        if i < 0:
            return []
        j = self.rest.rfind(') -> ')
        return split_types(self.rest[i + 4:j])


def split_types(s):
    out, depth, cur = [], 0, ''
    for ch in s:
        if ch in '<([{':
            depth += 1
        elif ch in '>)]}':
            depth -= 1
        if ch == ',' and depth == 0:
            out.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_values(s):
    return re.findall(r'%[\w.$-]+(?:#\d+)?', s)


ARG_TYPES = {}  # block argument -> its type


def parse_region_body(lines, i):
    """Parses blocks until the region's closing line; returns (blocks, i)."""
    blocks = []
    args, ops = [], []
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith('}'):
            blocks.append((args, ops))
            return blocks, i
        m = BLOCK_RE.match(line)
        if m:
            if ops or args:
                blocks.append((args, ops))
            parts = split_types(m.group(1) or '')
            args = [a.split(':')[0].strip() for a in parts]
            for a in parts:
                ARG_TYPES[a.split(':')[0].strip()] = a.split(':', 1)[1].strip()
            ops = []
            i += 1
            continue
        op, i = parse_op(lines, i)
        ops.append(op)
    raise ValueError('unterminated region')


def parse_op(lines, i):
    line = lines[i]
    m = OP_RE.match(line)
    if not m:
        raise ValueError('cannot parse: ' + line)
    res, count, name, operands, rest = m.groups()
    results = []
    if res:
        results = [f'{res}#{k}' for k in range(int(count))] if count else [res]
    op = Op(name, results, parse_values(operands), rest)
    i += 1
    if rest.rstrip().endswith('({'):
        # Regions: bodies separated by "}, {", closed by "}) ...".
        while True:
            blocks, i = parse_region_body(lines, i)
            op.regions.append(blocks)
            closing = lines[i].strip()
            i += 1
            if closing.startswith('}, {'):
                continue
            op.rest = rest + closing
            break
    return op, i


MAPS = {}  # #map alias -> affine_map<...> text


def parse_module(text):
    for m in re.finditer(r'^(#\w+) = (affine_map<.*>)\s*$', text, re.M):
        MAPS[m.group(1)] = m.group(2)
    lines = [l for l in text.splitlines() if l.strip() and not l.strip().startswith('//')
             and not l.startswith('#')]
    funcs = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if '"func.func"' in line:
            op, i = parse_op(lines, i)
            funcs[re.search(r'sym_name = "(\w+)"', op.rest).group(1)] = op
        else:
            i += 1
    return funcs


# --- execution ------------------------------------------------------------

class Memref:
    """A numpy view with its element type (bf16 kept as float32), where its
    first element lies in its allocation (`origin`, bytes in the element
    type's true size) and where MLIR's aligned pointer of it does (`base`:
    a memref.view's start; offsets count from there)."""

    def __init__(self, array, elt, origin=0, base=0):
        self.a, self.elt = array, elt
        self.origin, self.base = origin, base

    def elem_strides(self):
        return [s // self.a.itemsize for s in self.a.strides]

    def byte_address(self, idx):
        """The byte offset in the allocation of element idx (arrays ok)."""
        off = sum(np.asarray(i, np.int64) * e for i, e in zip(idx, self.elem_strides()))
        return self.origin + off * TRUE_SIZE[self.elt]


TRUE_SIZE = {'f32': 4, 'bf16': 2, 'f64': 8, 'i1': 1, 'i8': 1, 'i32': 4, 'i64': 8, 'index': 8}


def elt_of(memref_type):
    m = re.match(r'memref<(?:[\d?]+x)*(\w+)', memref_type)
    return m.group(1)


def np_dtype(elt):
    return {'f32': np.float32, 'bf16': np.float32, 'f64': np.float64, 'i1': np.bool_,
            'i8': np.int8, 'i32': np.int32, 'i64': np.int64, 'index': np.int64}[elt]


def parse_const(op):
    v = op.attr('value')
    t = op.result_types()[0]
    if t.startswith('tensor'):
        raise ValueError('tensor constants are not supported: ' + op.rest)
    if t.startswith('vector'):
        m = re.match(r'vector<(\d+)x(\w+)>', t)
        splat = re.search(r'dense<([^>]+)>', op.rest)
        if not m or not splat or splat.group(1).startswith('['):
            raise ValueError('only splat 1-d vector constants are supported: ' + op.rest)
        scalar = Op('arith.constant', [], [], f'<{{value = {splat.group(1)} : {m.group(2)}}}> : () -> {m.group(2)}')
        return np.full(int(m.group(1)), parse_const(scalar))
    if v in ('true', 'false'):
        return np.bool_(v == 'true')
    v = v.split(':')[0].strip()
    if t in ('f32', 'bf16', 'f64', 'f16'):
        if v.startswith('0x'):
            bits = int(v, 16)
            val = np.array([bits], dtype=np.uint32).view(np.float32)[0]
        else:
            val = np.float32(float(v))
        if t == 'f64' and not v.startswith('0x'):
            return np.float64(float(v))
        return bf16(val)[()] if t == 'bf16' else np.float32(val)
    return np.int64(int(v)) if t != 'i1' else np.bool_(int(v) != 0)


def affine(op, operands):
    """The results of an affine op's map on its operands (dims, then symbols)."""
    text = re.search(r'map = (#\w+|affine_map<.*?>)[,}]', op.rest + ',').group(1)
    text = MAPS.get(text, text)
    m = re.match(r'affine_map<\(([^)]*)\)(?:\[([^]]*)\])? -> \((.*)\)>', text)
    dims = [d.strip() for d in m.group(1).split(',') if d.strip()]
    syms = [x.strip() for x in (m.group(2) or '').split(',') if x.strip()]
    env = dict(zip(dims + syms, operands))
    env['_cdiv'] = lambda a, b: -((-a) // b)
    results = []
    for expr in split_types(m.group(3)):
        expr = re.sub(r'(\w+) ceildiv (\w+)', r'_cdiv(\1, \2)', expr)
        expr = expr.replace(' floordiv ', ' // ').replace(' mod ', ' % ')
        results.append(eval(expr, {}, env))
    return results


CMPI = {0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal, 4: np.greater,
        5: np.greater_equal, 6: np.less, 7: np.less_equal, 8: np.greater, 9: np.greater_equal}
CMPF = {1: np.equal, 2: np.greater, 3: np.greater_equal, 4: np.less, 5: np.less_equal,
        6: np.not_equal, 8: np.equal, 9: np.greater, 10: np.greater_equal, 11: np.less,
        12: np.less_equal, 13: np.not_equal}


class Machine:
    def __init__(self, funcs):
        self.funcs = funcs
        self.launches = 0

    # lanes: None on the host, else (threads, predicate array)
    def run_block(self, block, env, lanes):
        args, ops = block
        for op in ops:
            try:
                r = self.step(op, env, lanes)
            except (IndexError, ValueError, AssertionError) as e:
                if not getattr(e, 'located', False):
                    e.args = (f'{e.args[0] if e.args else e} at: {op.results} = {op.name}'
                              f'({", ".join(op.operands)}) {op.rest[-160:]}',)
                    e.located = True
                raise
            if op.name in ('scf.yield', 'func.return', 'gpu.terminator', 'linalg.yield'):
                return r
            if r is None:
                continue
            if not isinstance(r, tuple):
                r = (r,)
            for name, val in zip(op.results, r):
                env[name] = val
        return None

    def v(self, env, name):
        return env[name]

    def step(self, op, env, lanes):
        n = op.name
        o = [env[x] for x in op.operands]
        if n == 'arith.constant':
            return parse_const(op)
        if n in ('scf.yield', 'func.return', 'linalg.yield'):
            return tuple(o)
        if n in ('gpu.terminator', 'memref.dealloc', 'gpu.barrier'):
            return None
        if n == 'arith.addi':
            return o[0] + o[1]
        if n == 'arith.subi':
            return o[0] - o[1]
        if n == 'arith.muli':
            return o[0] * o[1]
        if n in ('arith.divui', 'arith.divsi', 'arith.floordivsi'):
            return o[0] // o[1]
        if n in ('arith.remui', 'arith.remsi'):
            return o[0] % o[1]
        if n in ('arith.minui', 'arith.minsi'):
            return np.minimum(o[0], o[1])
        if n in ('arith.maxui', 'arith.maxsi'):
            return np.maximum(o[0], o[1])
        if n == 'arith.andi':
            return np.logical_and(o[0], o[1]) if self.is_bool(o[0]) else o[0] & o[1]
        if n == 'arith.ori':
            return np.logical_or(o[0], o[1]) if self.is_bool(o[0]) else o[0] | o[1]
        if n == 'arith.xori':
            return np.logical_xor(o[0], o[1]) if self.is_bool(o[0]) else o[0] ^ o[1]
        if n == 'arith.cmpi':
            return CMPI[int(op.attr('predicate').split(':')[0])](o[0], o[1])
        if n == 'arith.cmpf':
            return CMPF[int(op.attr('predicate').split(':')[0])](o[0], o[1])
        if n == 'arith.ceildivui':
            return -((-o[0]) // o[1])
        if n in ('arith.extsi', 'arith.extui', 'arith.trunci'):
            return np.int64(o[0]) if np.ndim(o[0]) == 0 else o[0].astype(np.int64)
        if n in ('arith.fptosi', 'arith.fptoui'):
            return np.int64(np.trunc(o[0])) if np.ndim(o[0]) == 0 else np.trunc(o[0]).astype(np.int64)
        math1 = {'math.rsqrt': lambda x: 1 / np.sqrt(x), 'math.tanh': np.tanh, 'math.sin': np.sin,
                 'math.cos': np.cos, 'math.log': np.log, 'math.absf': np.abs,
                 'math.floor': np.floor, 'math.ceil': np.ceil, 'math.sqrt': np.sqrt,
                 'math.roundeven': np.rint,
                 'math.erf': lambda x: np.vectorize(__import__('math').erf)(x)}.get(n)
        if math1:
            with np.errstate(all='ignore'):
                return np.asarray(math1(np.float64(o[0])), np.float32)[()]
        if n == 'math.powf':
            with np.errstate(all='ignore'):
                return np.asarray(np.power(np.float64(o[0]), np.float64(o[1])), np.float32)[()]
        if n == 'memref.view':
            t = op.result_types()[0]
            elt = elt_of(t)
            shape = self.static_shape(t, o[2:])
            size = {'f32': 4, 'bf16': 2, 'i8': 1, 'i32': 4, 'i64': 8, 'f64': 8}[elt]
            start = int(o[1])
            raw = o[0].a.view(np.uint8)[start:start + int(np.prod(shape)) * size]
            if elt == 'bf16':  # read-only (weights): widened to float32
                arr = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32).reshape(shape)
            else:
                arr = raw.view(np_dtype(elt)).reshape(shape)
            return Memref(arr, elt, o[0].origin + start, o[0].origin + start)
        if n == 'arith.select':
            cond = o[0]
            if op.result_types()[0].startswith('vector') and np.ndim(cond) == 1:
                cond = cond[:, None]
            return np.where(cond, o[1], o[2])
        if n == 'vector.broadcast':
            width = int(re.match(r'vector<(\d+)x', op.result_types()[0]).group(1))
            return np.repeat(np.asarray(o[0])[..., None], width, axis=-1)
        if n == 'vector.fma':
            return (np.float64(o[0]) * o[1] + o[2]).astype(np.float32)
        if n == 'vector.shuffle':
            mask = [int(x) for x in re.search(r'mask = array<i64: ([\d, ]+)>', op.rest)
                    .group(1).split(',')]
            a, b = np.broadcast_arrays(o[0], o[1]) if np.ndim(o[0]) != np.ndim(o[1]) else (o[0], o[1])
            return np.concatenate([a, b], axis=-1)[..., mask]
        if n == 'vector.store':
            self.check_aligned(op, o[1], o[2:], lanes)
            width = np.shape(o[0])[-1]
            for j in range(width):
                self.store(o[1], o[2:-1] + [o[-1] + j], o[0][..., j], lanes)
            return None
        if n == 'memref.atomic_rmw':
            if int(op.attr('kind').split(':')[0]) != 0:
                raise ValueError('only atomic addf is supported')
            self.atomic_add(o[1], o[2:], o[0], lanes)
            return np.float32(0)
        if n in ('arith.index_cast', 'arith.index_castui'):
            return np.int64(o[0]) if np.ndim(o[0]) == 0 else o[0].astype(np.int64)
        f = {'arith.addf': np.add, 'arith.subf': np.subtract, 'arith.mulf': np.multiply,
             'arith.divf': np.divide, 'arith.maximumf': np.maximum, 'arith.minimumf': np.minimum,
             'arith.maxnumf': np.fmax, 'arith.minnumf': np.fmin}.get(n)
        if f:
            ft = np.float64 if op.result_types()[0] == 'f64' else np.float32
            with np.errstate(all='ignore'):
                r = np.asarray(f(ft(o[0]), ft(o[1]))).astype(ft)
            return bf16(r) if op.result_types()[0] == 'bf16' else r
        if n == 'arith.negf':
            return -o[0]
        if n == 'math.exp':
            with np.errstate(all='ignore'):
                return np.exp(np.float32(o[0])).astype(np.float32)
        if n == 'math.sqrt':
            return np.sqrt(np.float32(o[0]))
        if n == 'arith.truncf':
            t = op.result_types()[0]
            return bf16(o[0]) if t == 'bf16' else np.float32(o[0])
        if n == 'arith.extf':
            return np.float64(o[0]) if op.result_types()[0] == 'f64' else np.float32(o[0])
        if n == 'arith.uitofp' or n == 'arith.sitofp':
            t = op.result_types()[0]
            return np.float64(o[0]) if t == 'f64' else np.float32(o[0])
        if n == 'arith.bitcast':
            raise ValueError('arith.bitcast not supported')
        if n in ('affine.apply', 'affine.min', 'affine.max'):
            results = affine(op, o)
            if n == 'affine.apply':
                return results[0]
            reduce = np.minimum if n == 'affine.min' else np.maximum
            out = results[0]
            for r in results[1:]:
                out = reduce(out, r)
            return out
        if n == 'scf.if':
            return self.scf_if(op, o, env, lanes)
        if n == 'scf.for':
            return self.scf_for(op, o, env, lanes)
        if n == 'memref.dim':
            return np.int64(o[0].a.shape[int(o[1])])
        if n == 'memref.alloc':
            shape = self.static_shape(op.result_types()[0], o)
            elt = elt_of(op.result_types()[0])
            return Memref(np.full(shape, np.nan if elt in ('f32', 'bf16') else 0,
                                  dtype=np_dtype(elt)), elt)
        if n in ('memref.expand_shape', 'memref.collapse_shape'):
            t = op.result_types()[0]
            shape = self.static_shape(t, o[1:]) if n == 'memref.expand_shape' else None
            if shape is None:
                src = o[0].a
                groups = eval(re.search(r'reassociation = (\[\[.*?\]\])', op.rest).group(1))
                shape = [int(np.prod([src.shape[d] for d in g])) for g in groups]
            view = o[0].a.reshape(shape)
            assert np.shares_memory(view, o[0].a) or view.size == 0, 'reshape copied'
            return Memref(view, o[0].elt, o[0].origin, o[0].base)
        if n == 'memref.subview':
            return self.subview(op, o)
        if n in ('memref.cast', 'memref.reinterpret_cast') and n == 'memref.cast':
            return o[0]
        if n == 'bufferization.clone':
            return Memref(o[0].a.copy(), o[0].elt)
        if n in ('linalg.copy', 'memref.copy'):
            src, dst = (o[0], o[1])
            dst.a[...] = src.a
            return None
        if n == 'linalg.generic':
            self.generic(op, o, env)
            return None
        if n == 'linalg.index':
            return env['__linalg_index__'][int(op.attr('dim').split(':')[0])]
        if n == 'linalg.fill':
            o[1].a[...] = o[0]
            return None
        if n == 'memref.load':
            return self.load(o[0], o[1:], lanes)
        if n == 'memref.store':
            self.store(o[1], o[2:], o[0], lanes)
            return None
        if n == 'vector.load':
            self.check_aligned(op, o[0], o[1:], lanes)
            t = op.result_types()[0]
            width = int(re.match(r'vector<(\d+)x', t).group(1))
            return np.stack([self.load(o[0], o[1:-1] + [o[-1] + j], lanes)
                             for j in range(width)], axis=-1)
        if n == 'vector.from_elements':
            return np.stack(np.broadcast_arrays(*o), axis=-1)
        if n == 'llvm.bitcast':
            return o[0]  # vector<2xbf16> <-> i32: kept as the pair
        if n == 'llvm.extractvalue':
            return o[0][int(re.search(r'position = array<i64: (\d+)>', op.rest).group(1))]
        if n == 'vector.extract':
            if op.operands[1:]:
                raise ValueError('vector.extract with dynamic positions is not supported')
            pos = [int(x) for x in re.search(r'static_position = array<i64: ([\d, ]+)>', op.rest)
                   .group(1).split(',')]
            rank = len(re.match(r'vector<((?:\d+x)*)', op.operand_types()[0]).group(1).split('x')) - 1
            return o[0][(Ellipsis,) + tuple(pos) + (slice(None),) * (rank - len(pos))]
        if n == 'memref.extract_strided_metadata':
            m = o[0]
            offset = (m.origin - m.base) // TRUE_SIZE[m.elt]
            return tuple([m, np.int64(offset)] + [np.int64(d) for d in m.a.shape] +
                         [np.int64(x) for x in m.elem_strides()])
        if n == 'nvgpu.ldmatrix':
            return self.ldmatrix(op, o, lanes)
        if n == 'nvvm.mma.sync':
            return (self.mma(o, lanes),)
        if n == 'gpu.shuffle':
            return self.shuffle(op, o, lanes)
        if n == 'gpu.launch':
            self.launch(op, o)
            return None
        raise ValueError('op not supported by the emulator: ' + n)

    def generic(self, op, o, env):
        """A host linalg.generic with parallel loops only: every point of its
        iteration space a lane."""
        if 'reduction' in op.rest:
            raise ValueError('linalg.generic with reductions is not supported')
        maps = re.search(r'indexing_maps = \[(.*?)\]', op.rest).group(1)
        maps = [MAPS.get(x.strip(), x.strip()) for x in split_types(maps)]
        nin = int(re.search(r'operandSegmentSizes = array<i32: (\d+), (\d+)>', op.rest).group(1))
        ins, outs = o[:nin], o[nin:]
        # The loop ranges from the outputs' (identity-like) maps.
        def results(text, values):
            fake = Op('affine.apply', [], [], 'map = ' + text + '}')
            return affine(fake, values)
        ndims = len(re.match(r'affine_map<\(([^)]*)\)', maps[-1]).group(1).split(','))
        ranges = [None] * ndims
        for m, buf in zip(maps, list(ins) + list(outs)):
            exprs = split_types(re.match(r'affine_map<.*?-> \((.*)\)>', m).group(1))
            for k, e in enumerate(exprs):
                dm = re.fullmatch(r'd(\d+)', e.strip())
                if dm and isinstance(buf, Memref):
                    ranges[int(dm.group(1))] = buf.a.shape[k]
        grid = np.meshgrid(*[np.arange(r) for r in ranges], indexing='ij')
        points = [g.reshape(-1).astype(np.int64) for g in grid]
        lanes = (np.arange(len(points[0])), np.ones(len(points[0]), bool))
        block = op.regions[0][0]
        inner = dict(env)
        inner['__linalg_index__'] = points
        for name, buf, m in zip(block[0], list(ins) + list(outs), maps):
            if isinstance(buf, Memref):
                inner[name] = self.load(buf, results(m, points), lanes)
            else:
                inner[name] = buf
        values = self.run_block(block, inner, lanes)
        for buf, m, val in zip(outs, maps[nin:], values):
            self.store(buf, results(m, points), val, lanes)

    @staticmethod
    def is_bool(x):
        return np.asarray(x).dtype == np.bool_

    @staticmethod
    def static_shape(t, dyn):
        dims = re.match(r'memref<((?:[\d?]+x)*)', t).group(1).split('x')[:-1]
        out, k = [], 0
        for d in dims:
            if d == '?':
                out.append(int(dyn[k]))
                k += 1
            else:
                out.append(int(d))
        return out

    def subview(self, op, o):
        def arr(key):
            return [int(x) for x in re.search(key + r' = array<i64(?:: ([-\d, ]+))?>', op.rest)
                    .group(1).split(',')] if re.search(key + r' = array<i64: ', op.rest) else []
        offs, sizes, strides = arr('static_offsets'), arr('static_sizes'), arr('static_strides')
        dyn = list(o[1:])
        dynamic = -9223372036854775808

        def fill(vals):
            out = []
            for v in vals:
                out.append(int(dyn.pop(0)) if v == dynamic else v)
            return out
        offs, sizes, strides = fill(offs), fill(sizes), fill(strides)
        index = tuple(slice(a, a + s * st, st) for a, s, st in zip(offs, sizes, strides))
        view = o[0].a[index]
        # Rank-reducing subviews drop unit dimensions.
        t = op.result_types()[0]
        rank = len(re.match(r'memref<((?:[\d?]+x)*)', t).group(1).split('x')) - 1
        if rank < view.ndim:
            # Drop the unit dimensions the result type does not have (left to
            # right: a source size that does not match the next result size).
            result = re.match(r'memref<((?:[\d?]+x)*)', t).group(1).split('x')[:-1]
            keep, r = [], 0
            for size in view.shape:
                if r < len(result) and (result[r] == '?' or int(result[r]) == size):
                    keep.append(size)
                    r += 1
                else:
                    assert size == 1, 'rank-reducing subview drops a non-unit dimension'
            view = view.reshape(keep)
        origin = o[0].origin + sum(a * e for a, e in zip(offs, o[0].elem_strides())) * \
            TRUE_SIZE[o[0].elt]
        return Memref(view, o[0].elt, origin, o[0].base)

    def active(self, lanes):
        return None if lanes is None else lanes[1]

    def load(self, m, idx, lanes):
        shape = m.a.shape
        idx = [np.asarray(i, dtype=np.int64) for i in idx]
        pred = self.active(lanes)
        if all(np.ndim(i) == 0 for i in idx) and (pred is None or pred.all() or
                                                 all(0 <= int(i) < s for i, s in zip(idx, shape))):
            if not all(0 <= int(i) < s for i, s in zip(idx, shape)):
                raise IndexError(f'load out of bounds {[int(i) for i in idx]} of {shape}')
            return m.a[tuple(int(i) for i in idx)]
        bidx = np.broadcast_arrays(*idx, np.zeros(len(pred) if pred is not None else 1, np.int64))[:-1]
        ok = np.ones(bidx[0].shape, bool)
        for i, s in zip(bidx, shape):
            ok &= (i >= 0) & (i < s)
        if pred is not None:
            bad = pred & ~ok
            if bad.any():
                lane = int(np.argmax(bad))
                raise IndexError(f'load out of bounds at lane {lane}: '
                                 f'{[int(i[lane]) for i in bidx]} of {shape}')
        clamped = tuple(np.clip(i, 0, max(s - 1, 0)) for i, s in zip(bidx, shape))
        return m.a[clamped]

    def store(self, m, idx, value, lanes):
        pred = self.active(lanes)
        idx = [np.asarray(i, dtype=np.int64) for i in idx]
        if m.elt == 'bf16':
            value = bf16(value)
        if pred is None:
            m.a[tuple(int(i) for i in idx)] = value
            return
        n = len(pred)
        bidx = np.broadcast_arrays(*idx, np.zeros(n, np.int64))[:-1]
        val = np.broadcast_to(value, (n,))
        lanes_on = np.nonzero(pred)[0]
        for i, s in zip(bidx, m.a.shape):
            if ((i[lanes_on] < 0) | (i[lanes_on] >= s)).any():
                raise IndexError(f'store out of bounds of {m.a.shape}')
        # Two active lanes storing to one address must agree (a race otherwise).
        keys = {}
        for lane in lanes_on:
            key = tuple(int(i[lane]) for i in bidx)
            if key in keys and not np.array_equal(keys[key], val[lane], equal_nan=True):
                raise ValueError(f'lanes store different values to {key}')
            keys[key] = val[lane]
        m.a[tuple(i[lanes_on] for i in bidx)] = val[lanes_on]

    def atomic_add(self, m, idx, value, lanes):
        pred = self.active(lanes)
        if pred is None:
            m.a[tuple(int(i) for i in idx)] += value
            return
        n = len(pred)
        bidx = np.broadcast_arrays(*[np.asarray(i, np.int64) for i in idx], np.zeros(n, np.int64))[:-1]
        on = np.nonzero(pred)[0]
        np.add.at(m.a, tuple(i[on] for i in bidx), np.broadcast_to(value, (n,))[on])

    def scf_if(self, op, o, env, lanes):
        cond = o[0]
        nres = len(op.results)
        if np.ndim(cond) == 0:
            region = op.regions[0] if cond else (op.regions[1] if len(op.regions) > 1 else None)
            if region is None or not region or not region[0][1]:
                return None
            return self.run_block(region[0], env, lanes)
        assert lanes is not None, 'lane-varying condition on the host'
        threads, pred = lanes
        outs = []
        for k, region in enumerate(op.regions):
            sub = pred & (cond if k == 0 else ~cond)
            if not region or not region[0][1]:
                outs.append(None)
                continue
            if not sub.any():
                # No lane takes the branch: its values are never used.
                outs.append(None)
                continue
            outs.append(self.run_block(region[0], env, (threads, sub)))
        if nres == 0:
            return None
        then, other = outs[0], outs[1] if len(outs) > 1 else None
        if then is None:
            return other
        if other is None:
            return then
        res = []
        for a, b, t in zip(then, other, op.result_types()):
            # Vectors (and register pairs) have a trailing element dimension.
            c = cond[:, None] if t.startswith('vector') or max(np.ndim(a), np.ndim(b)) > 1 else cond
            res.append(np.where(c, a, b))
        return tuple(res)

    def scf_for(self, op, o, env, lanes):
        lb, ub, st = o[0], o[1], o[2]
        carried = list(o[3:])
        block = op.regions[0][0]
        iv_name, arg_names = block[0][0], block[0][1:]
        if all(np.ndim(x) == 0 for x in (lb, ub, st)):
            i = int(lb)
            while i < int(ub):
                env[iv_name] = np.int64(i)
                for name, val in zip(arg_names, carried):
                    env[name] = val
                r = self.run_block(block, env, lanes)
                carried = list(r) if r else []
                i += int(st)
            return tuple(carried) if carried else None
        # Bounds that differ between threads: each thread its own trip count,
        # a thread's values frozen once it is done.
        threads, pred = lanes
        n = len(threads)
        iv = np.broadcast_to(np.asarray(lb, np.int64), (n,)).copy()
        while True:
            live = pred & (iv < ub)
            if not live.any():
                break
            env[iv_name] = iv.copy()
            for name, val in zip(arg_names, carried):
                env[name] = val
            r = self.run_block(block, env, (threads, live))
            new = []
            for old, val in zip(carried, r or []):
                c = live.reshape((n,) + (1,) * (max(np.ndim(old), np.ndim(val)) - 1))
                new.append(np.where(c, val, old))
            carried = new
            iv = iv + st
        return tuple(carried) if carried else None

    def mma(self, o, lanes):
        threads, pred = lanes
        a = [np.broadcast_to(x, (len(threads), 2)) for x in o[0:4]]
        b = [np.broadcast_to(x, (len(threads), 2)) for x in o[4:6]]
        c = [np.broadcast_to(x, (len(threads),)) for x in o[6:10]]
        out = [np.zeros(len(threads), np.float32) for _ in range(4)]
        for w in range(len(threads) // LANES_WARP):
            lane = np.arange(LANES_WARP)
            ids = w * LANES_WARP + lane
            g, t = lane // 4, lane % 4
            A = np.zeros((16, 16))
            B = np.zeros((16, 8))
            C = np.zeros((16, 8))
            for j in range(2):
                A[g, 2 * t + j] = a[0][ids, j]
                A[g + 8, 2 * t + j] = a[1][ids, j]
                A[g, 2 * t + 8 + j] = a[2][ids, j]
                A[g + 8, 2 * t + 8 + j] = a[3][ids, j]
                B[2 * t + j, g] = b[0][ids, j]
                B[2 * t + 8 + j, g] = b[1][ids, j]
                C[g, 2 * t + j] = c[j][ids]
                C[g + 8, 2 * t + j] = c[2 + j][ids]
            for x in (A, B):
                assert np.array_equal(np.float64(bf16(np.float32(x))), x), 'mma input not bf16'
            D = A @ B + C
            for j in range(2):
                out[j][ids] = D[g, 2 * t + j]
                out[2 + j][ids] = D[g + 8, 2 * t + j]
        return out

    def check_aligned(self, op, m, idx, lanes):
        """Vector accesses promising an alignment must have it (a misaligned
        access is an error on the device)."""
        a = re.search(r'alignment = (\d+)', op.rest)
        if not a:
            return
        align = int(a.group(1))
        addr = np.asarray(m.byte_address(idx))
        pred = self.active(lanes)
        if pred is not None:
            addr = np.broadcast_to(addr, pred.shape)
            bad = pred & (addr % align != 0)
        else:
            bad = addr % align != 0
        if np.any(bad):
            raise ValueError(f'{op.name}: byte offset {int(np.ravel(addr)[np.argmax(np.ravel(bad))])} '
                             f'is not {align}-byte aligned')

    def ldmatrix(self, op, o, lanes):
        """ldmatrix.sync.aligned.m8n8.x{1,2,4}[.trans].b16 (PTX ISA, "Warp-level
        matrix load instruction: ldmatrix"): lanes 8 i .. 8 i + 7 give the
        16-byte-aligned addresses of rows 0..7 of matrix i; lane l = 4 g + t
        receives (M_i[g][2t], M_i[g][2t+1]), with .trans (M_i[2t][g],
        M_i[2t+1][g])."""
        tiles = int(op.attr('numTiles').split(':')[0])
        trans = 'transpose = true' in op.rest
        threads, pred = lanes
        if not pred.all():
            raise ValueError('ldmatrix under divergent control flow')
        m, idx = o[0], [np.broadcast_to(np.asarray(i, np.int64), threads.shape) for i in o[1:]]
        lane = threads % LANES_WARP
        addressing = (threads, lane < 8 * tiles)
        addr = m.byte_address(idx)
        if ((addr % 16 != 0) & addressing[1]).any():
            raise ValueError('ldmatrix row address not 16-byte aligned')
        rows = np.stack([np.broadcast_to(self.load(m, idx[:-1] + [idx[-1] + j], addressing),
                                         threads.shape) for j in range(8)], axis=-1)
        base = threads - lane
        g, t = lane // 4, lane % 4
        out = np.zeros((len(threads), tiles, 2), np.float32)
        for i in range(tiles):
            for j in range(2):
                if trans:
                    out[:, i, j] = rows[base + 8 * i + 2 * t + j, g]
                else:
                    out[:, i, j] = rows[base + 8 * i + g, 2 * t + j]
        return out

    def shuffle(self, op, o, lanes):
        value, offset, width = o
        mode = re.search(r'mode = #gpu<shuffle_mode (\w+)>', op.rest).group(1)
        threads, pred = lanes
        val = np.broadcast_to(value, (len(threads),))
        lane = threads % LANES_WARP
        base = threads - lane
        off = int(offset)
        src = {'xor': lane ^ off, 'idx': np.full_like(lane, off), 'down': lane + off,
               'up': lane - off}[mode]
        valid = (src >= 0) & (src < int(width))
        src = np.where(valid, src, lane)
        return val[base + src], valid

    def launch(self, op, o):
        self.launches += 1
        # operands: grid x, y, z, block x, y, z (no async, no cluster here)
        seg = [int(x) for x in re.search(r'operandSegmentSizes = array<i32: ([\d, ]+)>',
                                          op.rest).group(1).split(',')]
        assert seg[0] == 0 and sum(seg[7:]) == 0, 'async / cluster / dynamic shared launch'
        grid = [int(x) for x in o[0:3]]
        block = [int(x) for x in o[3:6]]
        assert block[1] == block[2] == 1, 'only 1-d thread blocks'
        nthreads = block[0]
        body = op.regions[0][0]
        args = body[0]
        for bz in range(grid[2]):
            for by in range(grid[1]):
                for bx in range(grid[0]):
                    env = dict(self.env)
                    threads = np.arange(nthreads, dtype=np.int64)
                    ids = [bx, by, bz, threads, np.int64(0), np.int64(0)]
                    sizes = grid + block
                    for name, val in zip(args[0:12], ids + sizes):
                        env[name] = np.int64(val) if np.ndim(val) == 0 else val
                    for name in args[12:]:
                        t = ARG_TYPES[name]
                        env[name] = Memref(np.full(self.static_shape(t, []), np.nan,
                                                   np.float32 if elt_of(t) in ('f32', 'bf16')
                                                   else np_dtype(elt_of(t))), elt_of(t))
                    self.run_block(body, env, (threads, np.ones(nthreads, bool)))

    def run(self, name, args):
        func = self.funcs[name]
        block = func.regions[0][0]
        env = {}
        for n, a in zip(block[0], args):
            env[n] = a
        self.env = env
        return self.run_block(block, env, None)


def run(module_text, func_name, args):
    """Runs `func_name` of the module on numpy arrays (its memrefs, in the
    element types of its signature: bf16 as float32 values) and ints.
    Returns (results, number of launches executed)."""
    funcs = parse_module(module_text)
    machine = Machine(funcs)
    names = funcs[func_name].regions[0][0][0]
    wrapped = []
    for name, a in zip(names, args):
        if isinstance(a, np.ndarray):
            elt = elt_of(ARG_TYPES[name])
            if elt == 'bf16':
                a[...] = bf16(a)
            wrapped.append(Memref(a, elt))
        else:
            wrapped.append(np.int64(a))
    outs = machine.run(func_name, wrapped)
    return [x.a if isinstance(x, Memref) else x for x in outs], machine.launches


if __name__ == '__main__':
    sys.exit('a library: see test/gpu/Inputs/check_flash_attention.py')
