#pragma once
/// \file archive.hpp
/// \brief The HDF5 archive of a run: layout, creation, checkpoints, resume, summaries. This header
/// includes every part; each part has its own header and source file:
///   archive_layout    format constants, AnalysisLayout, dataset properties, a new work file
///   archive_inputs    Inputs, InputFile: /data, the embedded input files, SHA-256, library versions
///   archive_segments  the run-segment log of a work file
///   archive_shards    shards (which tasks, which file), the --force work file
///   archive_space     size estimate, free space, reservations on disk
///   archive_resume    the same-run check and the tasks left for --resume
///   archive_parallel  ParallelArchive: collective MPI-IO writes of rows, checkpoints
///   archive_reader    opening and reading an archive serially; summaries and the complete flag
///
/// One file per run. While the tasks run it is a *work file*: the same path and groups, complete=0,
/// and every dataset the tasks write (replications, status, status_message, the run-segment log) is
/// contiguous and allocated when the file is created, so the task phase writes raw data only and
/// never HDF5 metadata: a SIGKILL at any instant (one rank or all, mid-write) cannot corrupt the file
/// structure, and the status written after the rows' flush says exactly which rows are complete.
/// At the end the final archive is written beside it (assemble.hpp: chunked and compressed, a
/// SHA-256 on every dataset and attribute, summaries, complete=1) and renamed over it in one step.
///   /                     attrs format="revest-archive", format_version, complete (0 until the end),
///                         shard_index, shard_count (0, 1 unless a shard of a sharded run)
///   /meta                 job file text, effective configuration, seed, build and library
///                         versions, SHA-256 of every input file, MPI size, hosts, times;
///                         files/ROLE: every input file embedded whole (job, defaults, indicators,
///                         counties, queen, rook, panel[, projects]) so the archive alone re-runs
///   /data                 the inputs as used (counties, queen, rook, panel, indicators, and
///                         projects when a real_options analysis runs)
///   /analyses/NAME        attrs kind, options, num_tasks, wall_seconds, cpu_seconds
///     replications/SPEC   [num_tasks x shape...] doubles, chunked along tasks, shuffle+deflate
///     status              [num_tasks] int32 (TaskStatus; -1 = not run yet)
///     status_message      [num_tasks] fixed-length strings (empty when ok)
///     summary/TABLE/COL   summary tables, one 1-D dataset per column
/// Replication rows are written collectively by all ranks (parallel HDF5, MPI-IO); everything
/// else is written by rank 0 alone while no other rank has the file open. Object time tracking is
/// off, so datasets depend only on (job, data, seed).
#include "driver/archive_inputs.hpp"
#include "driver/archive_layout.hpp"
#include "driver/archive_parallel.hpp"
#include "driver/archive_reader.hpp"
#include "driver/archive_resume.hpp"
#include "driver/archive_segments.hpp"
#include "driver/archive_shards.hpp"
#include "driver/archive_space.hpp"
