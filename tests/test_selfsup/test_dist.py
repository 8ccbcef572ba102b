"""Row gathering across 2 gloo processes: unequal row counts, gradients of the local rows
(a SupCon loss over the gathered rows equals the single-process loss, gradients included), and the
global offset of each rank's rows."""
import os.path as osp
import socket

import torch
import torch.nn.functional as F

from mmhpse.selfsup.dist import gather_rows, gather_rows_with_offset
from mmhpse.selfsup.heads import supcon_loss


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _gather_worker(rank, world, port, result_dir):
    import torch.distributed as dist
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank,
                            world_size=world)
    torch.manual_seed(0)
    z_all = F.normalize(torch.randn(11, 6, dtype=torch.float64), dim=1)
    labels_all = torch.tensor([0, 1, 2, 0, 1, 2, 0, 3, 3, 1, 2])
    rows = [slice(0, 4), slice(4, 11)][rank]  # unequal row counts per rank
    z_local = z_all[rows].clone().requires_grad_(True)
    loss = supcon_loss(gather_rows(z_local), gather_rows(labels_all[rows]), 0.1)
    loss.backward()
    torch.save(dict(loss=loss.detach(), grad=z_local.grad), osp.join(result_dir, f'{rank}.pt'))
    dist.destroy_process_group()


def test_gather_rows_two_ranks(tmp_path):
    # fork: the workers inherit the imported modules (spawn would re-import mmpretrain twice)
    torch.multiprocessing.start_processes(
        _gather_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, start_method='fork')
    torch.manual_seed(0)
    z_all = F.normalize(torch.randn(11, 6, dtype=torch.float64), dim=1).requires_grad_(True)
    labels_all = torch.tensor([0, 1, 2, 0, 1, 2, 0, 3, 3, 1, 2])
    loss = supcon_loss(z_all, labels_all, 0.1)
    loss.backward()
    r0, r1 = (torch.load(osp.join(tmp_path, f'{r}.pt')) for r in range(2))
    assert torch.allclose(r0['loss'], loss.detach()) and torch.allclose(r1['loss'], loss.detach())
    assert torch.allclose(r0['grad'], z_all.grad[:4]) and torch.allclose(r1['grad'], z_all.grad[4:])


def _offset_worker(rank, world, port, out):
    import os
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    x = torch.full((rank + 2, 3), float(rank))  # ranks hold 2 and 3 rows
    full, offset = gather_rows_with_offset(x)
    ids, _ = gather_rows_with_offset(torch.arange(rank + 2) + 10 * rank)
    flags = gather_rows_with_offset(torch.ones(rank + 2, dtype=torch.uint8) * rank)[0]
    out[rank] = (full.tolist(), offset, ids.tolist(), flags.tolist())
    dist.destroy_process_group()


def test_gather_rows_with_offset_two_ranks():
    import torch.multiprocessing as mp
    out = mp.Manager().dict()
    mp.spawn(_offset_worker, args=(2, _free_port(), out), nprocs=2)
    for rank in range(2):
        full, offset, ids, flags = out[rank]
        assert full == [[0.0] * 3] * 2 + [[1.0] * 3] * 3
        assert offset == [0, 2][rank]
        assert ids == [0, 1, 10, 11, 12] and flags == [0, 0, 1, 1, 1]
