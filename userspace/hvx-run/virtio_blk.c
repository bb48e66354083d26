// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: virtio-blk on a raw image file (virtio 1.2 section 5.2).
 *
 * One request queue.  The device thread takes the chains and hands them
 * to a small pool of worker threads (VIRTIO_BLK_WORKERS), so that several
 * requests are in flight at once, and the parts of a large read
 * (split_read()), with nothing but preadv/pwritev: a pool needs no
 * library the static build lacks (io_uring would want liburing or its
 * own ring code) and a blocking pwritev gives the
 * guarantee the guest relies on directly: a write is completed only
 * after pwritev returned, a flush only after fdatasync() did, so a crash
 * of hvx-run or of the guest never loses a completed write.  Requests
 * are checked against the disk's size; a read-only disk (,ro) advertises
 * VIRTIO_BLK_F_RO and refuses writes with VIRTIO_BLK_S_IOERR (and
 * discards and write zeroes, which it does not offer, with
 * VIRTIO_BLK_S_UNSUPP).
 *
 * A driver reset waits for the requests in progress (blk_quiesce()): a
 * worker must not write into guest memory the driver has taken back.
 * So does turning bus mastering off (blk_drain()), which completes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvx-run.h"
#include "virtio_blk.h"
#include "virtio_pci.h"

#define VIRTIO_ID_BLOCK		2
#define PCI_CLASS_STORAGE_OTHER	0x018000

/* Configuration fields */
#define BLK_CFG_CAPACITY	0
#define BLK_CFG_SIZE_MAX	8
#define BLK_CFG_SEG_MAX		12
#define BLK_CFG_BLK_SIZE	20
#define BLK_CFG_MAX_DISCARD	36
#define BLK_CFG_DISCARD_SEG	40
#define BLK_CFG_DISCARD_ALIGN	44
#define BLK_CFG_MAX_WZ		48	/* max_write_zeroes_sectors */
#define BLK_CFG_WZ_SEG		52	/* max_write_zeroes_seg */
#define BLK_CFG_WZ_MAY_UNMAP	56	/* write_zeroes_may_unmap */
#define BLK_CFG_LEN		60

/*
 * A read of twice this or more is served in parts, by as many workers at
 * once (all of them at most, no part smaller than this): a guest's one
 * stream of large reads (dd, a sequential O_DIRECT reader, which has one
 * request in flight) then copies with several host CPUs instead of one.
 */
#define BLK_PART_MIN		(128 * 1024)
#define BLK_PART_ALIGN		4096

struct blk_split;

/*
 * A request, or with @split a part of a read: bytes @from to @from +
 * @len - 1 of its data, which begins at @sector.
 */
struct blk_job {
	struct blk_job *next;
	unsigned int q, mode;
	struct vq_elem *e;
	struct blk_split *split;
	uint64_t sector, from, len;
};

/*
 * A read served in parts.  @left (the parts not yet done or dropped),
 * @status (VIRTIO_BLK_S_OK until a part fails) and @dropped (a reset
 * dropped parts of it: it completes with nothing) under the disk's lock;
 * the part that makes @left 0 completes the read and frees it.
 */
struct blk_split {
	unsigned int left;
	uint8_t status;
	bool dropped;
	struct blk_job parts[];
};

/**
 * struct virtio_blk - one disk
 * @v:		the virtio device
 * @fd:		the image file
 * @ro:		read-only: writes fail
 * @sectors:	its size in 512-byte sectors
 * @serial:	GET_ID's answer, NUL-padded
 * @cfg:	the configuration space
 * @lock:	protects @head, @tail, @busy, @mode and @stopping
 * @cond:	signals a job or @stopping
 * @idle:	signals @busy down to 0
 * @head:	the jobs waiting for a worker
 * @tail:	the last of them
 * @busy:	chains taken from the ring and not yet completed or
 *		dropped, plus one while the device thread takes them
 * @mode:	virtio_blk_handle()'s mode for the chains it takes now
 * @stopping:	the workers end
 * @workers:	the pool
 * @nr_workers:	started
 */
struct virtio_blk {
	struct virtio_dev v;
	int fd;
	bool ro;
	uint64_t sectors;
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t cfg[BLK_CFG_LEN];
	pthread_mutex_t lock;
	pthread_cond_t cond, idle;
	struct blk_job *head, *tail;
	unsigned int busy, mode;
	bool stopping;
	pthread_t workers[VIRTIO_BLK_WORKERS];
	unsigned int nr_workers;
};

static struct virtio_blk *to_blk(struct virtio_dev *v)
{
	return (struct virtio_blk *)v;
}

static void blk_cfg_read(struct virtio_dev *v, unsigned int off,
			 void *data, unsigned int len)
{
	virtio_cfg_copy(to_blk(v)->cfg, BLK_CFG_LEN, off, data, len);
}

/*
 * virtio_blk_handle()'s mode for the driver's features, fixed from
 * FEATURES_OK to the next reset: the kick takes it for its requests.
 */
static unsigned int blk_mode(struct virtio_blk *b)
{
	unsigned int mode = b->ro ? VIRTIO_BLK_MODE_RO : 0;

	if (!virtio_has_feature(&b->v, VIRTIO_BLK_F_FLUSH))
		mode |= VIRTIO_BLK_MODE_SYNC;
	if (virtio_has_feature(&b->v, VIRTIO_BLK_F_DISCARD))
		mode |= VIRTIO_BLK_MODE_DISCARD;
	if (virtio_has_feature(&b->v, VIRTIO_BLK_F_WRITE_ZEROES))
		mode |= VIRTIO_BLK_MODE_ZEROES;
	return mode;
}

/*
 * @e split into parts, if it is a read of 2 * BLK_PART_MIN or more: up
 * to one part per worker, the same size but for the last, aligned to
 * BLK_PART_ALIGN.  NULL to serve it whole (also without memory: a split
 * is only faster).
 */
static struct blk_split *split_read(struct virtio_blk *b, struct vq_elem *e)
{
	uint64_t sector, len, nr, per, i;
	struct blk_split *s;

	/* the hot path's small requests: not even their header read twice */
	if (e->in_len - 1 < 2 * BLK_PART_MIN)
		return NULL;
	len = virtio_blk_read_len(e, b->sectors, &sector);
	nr = len / BLK_PART_MIN;
	if (nr > b->nr_workers)
		nr = b->nr_workers;
	if (nr < 2)
		return NULL;
	s = calloc(1, sizeof(*s) + nr * sizeof(s->parts[0]));
	if (!s)
		return NULL;
	s->left = nr;
	s->status = VIRTIO_BLK_S_OK;
	per = len / nr / BLK_PART_ALIGN * BLK_PART_ALIGN;
	for (i = 0; i < nr; i++) {
		s->parts[i].split = s;
		s->parts[i].sector = sector;
		s->parts[i].from = i * per;
		s->parts[i].len = i + 1 < nr ? per : len - i * per;
	}
	return s;
}

static void blk_req(struct virtio_dev *v, unsigned int q, struct vq_elem *e)
{
	struct virtio_blk *b = to_blk(v);
	unsigned int i, nr = 1;
	struct blk_split *s;
	struct blk_job *j;

	/* no room for a header and a status: malformed, as virtio-net's */
	if (e->out_len < VIRTIO_BLK_HDR_LEN || e->in_len < 1) {
		virtio_bad(v, "request without a header or a status");
		free(e);
		return;
	}
	s = split_read(b, e);
	if (s) {
		nr = s->left;
		j = s->parts;
	} else {
		j = calloc(1, sizeof(*j));
	}
	if (!j) {
		msg("virtio-blk: out of memory");
		/* failed, with its status: a driver reads the byte, not len */
		virtio_complete(v, q, e->head,
				virtio_blk_read_end(e, VIRTIO_BLK_S_IOERR));
		free(e);
		return;
	}
	pthread_mutex_lock(&b->lock);
	for (i = 0; i < nr; i++) {
		j[i].next = i + 1 < nr ? &j[i + 1] : NULL;
		j[i].q = q;
		j[i].e = e;
		j[i].mode = b->mode;
	}
	if (b->tail)
		b->tail->next = j;
	else
		b->head = j;
	b->tail = &j[nr - 1];
	b->busy++;
	if (nr > 1)
		pthread_cond_broadcast(&b->cond);
	else
		pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static void blk_idle(struct virtio_blk *b)
{
	pthread_mutex_lock(&b->lock);
	if (!--b->busy)
		pthread_cond_broadcast(&b->idle);
	pthread_mutex_unlock(&b->lock);
}

static void blk_kick(struct virtio_dev *v, unsigned int q)
{
	struct virtio_blk *b = to_blk(v);
	unsigned int mode = blk_mode(b);

	/* a chain taken but not yet queued is in flight too */
	pthread_mutex_lock(&b->lock);
	b->busy++;
	b->mode = mode;
	pthread_mutex_unlock(&b->lock);
	virtio_serve(v, q, blk_req);
	blk_idle(b);
}

/* Wait until no chain is taken and not completed; @b->lock held. */
static void blk_wait_idle(struct virtio_blk *b)
{
	while (b->busy)
		pthread_cond_wait(&b->idle, &b->lock);
}

/*
 * The driver reset the device: drop the jobs no worker began, their
 * buffers untouched, and wait for the rest.  vq_push() already drops
 * their completions; what must not happen is a worker writing read data
 * into RAM that the driver, seeing the reset complete, has reused.
 */
static void blk_quiesce(struct virtio_dev *v)
{
	struct virtio_blk *b = to_blk(v);
	struct blk_job *j;

	pthread_mutex_lock(&b->lock);
	while ((j = b->head)) {
		b->head = j->next;
		if (!j->split) {
			b->busy--;
			free(j->e);
			free(j);
			continue;
		}
		/* a part a worker runs ends the read, writing nothing more */
		j->split->dropped = true;
		if (!--j->split->left) {
			b->busy--;
			free(j->e);
			free(j->split);
		}
	}
	b->tail = NULL;
	/* for blk_drain() too, were it waiting */
	if (!b->busy)
		pthread_cond_broadcast(&b->idle);
	blk_wait_idle(b);
	pthread_mutex_unlock(&b->lock);
}

/*
 * Bus mastering went off: the requests taken before it are the driver's
 * still, so the workers do them all, and complete them, before the
 * device stops touching guest memory.
 */
static void blk_drain(struct virtio_dev *v)
{
	struct virtio_blk *b = to_blk(v);

	pthread_mutex_lock(&b->lock);
	blk_wait_idle(b);
	pthread_mutex_unlock(&b->lock);
}

/* Serve part @j of a split read; the last part done completes it. */
static void blk_part(struct virtio_blk *b, struct blk_job *j)
{
	struct blk_split *s = j->split;
	struct vq_elem *e = j->e;
	unsigned int q = j->q;
	uint8_t status;
	bool last;

	status = virtio_blk_read_part(b->fd, e, j->sector, j->from, j->len);
	pthread_mutex_lock(&b->lock);
	if (status != VIRTIO_BLK_S_OK)
		s->status = status;
	last = !--s->left;
	pthread_mutex_unlock(&b->lock);
	if (!last)
		return;
	if (!s->dropped)
		virtio_complete(&b->v, q, e->head,
				virtio_blk_read_end(e, s->status));
	free(e);
	free(s);
	blk_idle(b);
}

static void *blk_worker(void *arg)
{
	struct virtio_blk *b = arg;
	struct blk_job *j;
	uint32_t len;

	for (;;) {
		pthread_mutex_lock(&b->lock);
		while (!b->head && !b->stopping)
			pthread_cond_wait(&b->cond, &b->lock);
		j = b->head;
		if (j) {
			b->head = j->next;
			if (!b->head)
				b->tail = NULL;
		}
		pthread_mutex_unlock(&b->lock);
		if (!j)
			return NULL;
		if (j->split) {
			blk_part(b, j);
			continue;
		}
		len = virtio_blk_handle(b->fd, j->mode, b->sectors, b->serial,
					j->e);
		virtio_complete(&b->v, j->q, j->e->head, len);
		free(j->e);
		free(j);
		blk_idle(b);
	}
}

static const struct virtio_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.class = PCI_CLASS_STORAGE_OTHER,
	.nr_queues = 1,
	.features = 1ULL << VIRTIO_BLK_F_SIZE_MAX |
		    1ULL << VIRTIO_BLK_F_SEG_MAX |
		    1ULL << VIRTIO_BLK_F_BLK_SIZE |
		    1ULL << VIRTIO_BLK_F_FLUSH |
		    1ULL << VIRTIO_BLK_F_DISCARD |
		    1ULL << VIRTIO_BLK_F_WRITE_ZEROES,
	.cfg_read = blk_cfg_read,
	.kick = blk_kick,
	.quiesce = blk_quiesce,
	.drain = blk_drain,
};

/*
 * One writer or any number of readers an image, as QEMU's image locking:
 * two writers, or a reader beside a writer, would see or make a disk
 * that changes under them (-d img -d img, a second hvx-run).  An open
 * file description's lock (F_OFD_SETLK): two disks of one process
 * conflict too, and it goes with the last close.  A file system without
 * locks (ENOLCK, as NFS without lockd) is used unlocked.
 */
static int blk_lock(int fd, bool ro)
{
	struct flock fl = {
		.l_type = ro ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};

	if (!fcntl(fd, F_OFD_SETLK, &fl))
		return 0;
	return errno == EAGAIN || errno == EACCES ? -1 : 0;
}

/* FILE or FILE,ro: open it, lock it, size it, name it. */
static int blk_open(struct virtio_blk *b, const char *spec)
{
	char *path = strdup(spec), *comma, *name;
	struct stat st;
	int r = -1;

	if (!path) {
		msg("out of memory");
		return -1;
	}
	comma = strrchr(path, ',');
	if (comma && !strcmp(comma, ",ro")) {
		*comma = 0;
		b->ro = true;
	}
	b->fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st) < 0) {
		msg("disk %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		msg("disk %s: not a regular file", path);
		goto out;
	}
	if (blk_lock(b->fd, b->ro)) {
		msg("disk %s: in use by another disk or process (%s)", path,
		    b->ro ? "a writer has it" : "locked");
		goto out;
	}
	b->sectors = st.st_size / VIRTIO_BLK_SECTOR;
	name = basename(path);
	memcpy(b->serial, name, strnlen(name, sizeof(b->serial)));
	r = 0;
out:
	free(path);
	return r;
}

static void blk_fill_cfg(struct virtio_blk *b)
{
	put_le64(b->cfg + BLK_CFG_CAPACITY, b->sectors);
	put_le32(b->cfg + BLK_CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX);
	put_le32(b->cfg + BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
	put_le32(b->cfg + BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR);
	put_le32(b->cfg + BLK_CFG_MAX_DISCARD, VIRTIO_BLK_MAX_DISCARD);
	put_le32(b->cfg + BLK_CFG_DISCARD_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
	put_le32(b->cfg + BLK_CFG_DISCARD_ALIGN, 8);
	put_le32(b->cfg + BLK_CFG_MAX_WZ, VIRTIO_BLK_MAX_WRITE_ZEROES);
	put_le32(b->cfg + BLK_CFG_WZ_SEG, VIRTIO_BLK_MAX_WRITE_ZEROES_SEG);
	b->cfg[BLK_CFG_WZ_MAY_UNMAP] = 1;
}

/**
 * virtio_blk_create() - a disk on an image file
 * @spec: FILE or FILE,ro
 * @index: the disk's number, for messages
 * @mem: guest RAM
 * @doorbell: registers its doorbell
 * @ctx: passed to @doorbell
 *
 * Return: the device (virtio_blk_free() frees it), or NULL after a
 * message.
 */
struct virtio_dev *virtio_blk_create(const char *spec, unsigned int index,
				     const struct vq_mem *mem,
				     virtio_doorbell_fn doorbell, void *ctx)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	unsigned int i;

	if (!b) {
		msg("virtio-blk: out of memory");
		return NULL;
	}
	b->fd = -1;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	pthread_cond_init(&b->idle, NULL);
	if (blk_open(b, spec) ||
	    virtio_init(&b->v, &blk_ops, mem, doorbell, ctx))
		goto fail;
	/* a read-only disk says so, and offers no discard nor zeroes */
	if (b->ro)
		b->v.host_features = (b->v.host_features &
				      ~(1ULL << VIRTIO_BLK_F_DISCARD |
					1ULL << VIRTIO_BLK_F_WRITE_ZEROES)) |
				     1ULL << VIRTIO_BLK_F_RO;
	blk_fill_cfg(b);
	for (i = 0; i < VIRTIO_BLK_WORKERS; i++) {
		if (pthread_create(&b->workers[i], NULL, blk_worker, b)) {
			msg("disk %u: cannot start its workers", index);
			goto fail;
		}
		b->nr_workers++;
	}
	return &b->v;
fail:
	virtio_blk_free(&b->v);
	return NULL;
}

/**
 * virtio_blk_free() - end the workers, close the file, free the disk
 * @v: the device, its thread stopped
 */
void virtio_blk_free(struct virtio_dev *v)
{
	struct virtio_blk *b = to_blk(v);
	unsigned int i;

	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < b->nr_workers; i++)
		pthread_join(b->workers[i], NULL);
	if (v->ops)
		virtio_destroy(v);
	if (b->fd >= 0)
		close(b->fd);
	pthread_cond_destroy(&b->idle);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
