/*
 * pl_model.c - the AI operation: XGBoost training and scoring through its C
 * API, the seeded holdout split and the metrics.
 *
 * The model is saved as XGBoost's JSON model through
 * XGBoosterSaveModelToBuffer and written by us (temp + rename), so a
 * reader (a predict run) never sees half a model whatever the file is
 * called; it is loaded with XGBoosterLoadModelFromBuffer, which recognises
 * the format by its content, not the file name's extension.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "base_fs.h"
#include "pipeline.h"

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

bool pl_holdout_row(uint64_t seed, size_t i, double share)
{
	uint64_t h = splitmix64(splitmix64(seed) ^ (uint64_t)i);

	return (double)(h >> 11) * 0x1.0p-53 < share;
}

struct ranked {
	float score;
	bool positive;
};

static int ranked_cmp(const void *a, const void *b)
{
	float x = ((const struct ranked *)a)->score, y = ((const struct ranked *)b)->score;

	return (x > y) - (x < y);
}

double pl_auc(const float *scores, const float *labels, size_t n)
{
	struct ranked *r;
	double npos = 0, nneg = 0, rank_sum = 0;
	double auc;

	if (n == 0)
		return NAN;
	r = malloc(n * sizeof *r);
	if (r == NULL)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		r[i].score = scores[i];
		r[i].positive = labels[i] > 0.5f;
		if (r[i].positive)
			npos++;
		else
			nneg++;
	}
	qsort(r, n, sizeof *r, ranked_cmp);
	/* Mann-Whitney: ranks from 1, ties get the average rank of their run. */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double avg;

		while (j < n && r[j].score == r[i].score)
			j++;
		avg = ((double)(i + 1) + (double)j) / 2.0;
		for (size_t k = i; k < j; k++)
			if (r[k].positive)
				rank_sum += avg;
		i = j;
	}
	free(r);
	if (npos == 0 || nneg == 0)
		return NAN;
	auc = (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
	return auc;
}

double pl_rmse(const float *pred, const float *labels, size_t n)
{
	double s = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double d = (double)pred[i] - (double)labels[i];

		s += d * d;
	}
	return sqrt(s / (double)n);
}

static int xgb_fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "xgboost: %s: %s", what, XGBGetLastError());
	return -EIO;
}

static const char predict_config[] =
	"{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
	"\"iteration_end\": 0, \"strict_shape\": false}";

/* Predict on X (N rows) with B into OUT (N floats). */
static int predict_rows(BoosterHandle b, const float *x, size_t n, unsigned nf, float *out,
			char *err, size_t errlen)
{
	DMatrixHandle d = NULL;
	const bst_ulong *shape;
	bst_ulong dim;
	const float *res;
	size_t total = 1;
	int rc = 0;

	if (XGDMatrixCreateFromMat(x, n, nf, NAN, &d) != 0)
		return xgb_fail(err, errlen, "cannot build the matrix");
	if (XGBoosterPredictFromDMatrix(b, d, predict_config, &shape, &dim, &res) != 0) {
		rc = xgb_fail(err, errlen, "predict");
		goto out;
	}
	for (bst_ulong i = 0; i < dim; i++)
		total *= shape[i];
	if (total != n) {
		snprintf(err, errlen, "xgboost: %zu predictions for %zu rows (not a single-output model?)",
			 total, n);
		rc = -EINVAL;
		goto out;
	}
	memcpy(out, res, n * sizeof *out);
out:
	XGDMatrixFree(d);
	return rc;
}

static bool has_param(const pl_def *def, const char *key)
{
	for (unsigned i = 0; i < def->nparams; i++)
		if (strcmp(def->params[i].key, key) == 0)
			return true;
	return false;
}

int pl_model_train(const pl_def *def, const pl_dataset *ds, const char *model_path,
		   pl_train_result *res, char *err, size_t errlen)
{
	unsigned nf = ds->nfeatures;
	size_t ntr = 0, nho = 0;
	float *xtr = NULL, *ytr = NULL, *xho = NULL, *yho = NULL, *pred = NULL;
	DMatrixHandle dtrain = NULL;
	BoosterHandle b = NULL;
	bool logistic = strcmp(def->objective, "binary:logistic") == 0;
	int rc = 0;

	memset(res, 0, sizeof *res);
	res->metric = NAN;
	res->metric_name = logistic ? "AUC" : "RMSE";
	if (ds->nrows == 0) {
		snprintf(err, errlen, "no rows with a label to train on");
		return -EINVAL;
	}
	xtr = malloc(ds->nrows * nf * sizeof *xtr);
	ytr = malloc(ds->nrows * sizeof *ytr);
	xho = malloc(ds->nrows * nf * sizeof *xho);
	yho = malloc(ds->nrows * sizeof *yho);
	pred = malloc(ds->nrows * sizeof *pred);
	if (!xtr || !ytr || !xho || !yho || !pred) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ds->nrows; i++) {
		bool ho = ds->nrows > 1 && pl_holdout_row(def->seed, i, def->holdout);

		if (ho) {
			memcpy(xho + nho * nf, ds->x + i * nf, nf * sizeof *xho);
			yho[nho++] = ds->y[i];
		} else {
			memcpy(xtr + ntr * nf, ds->x + i * nf, nf * sizeof *xtr);
			ytr[ntr++] = ds->y[i];
		}
	}
	if (ntr == 0) {
		/* Every row fell in the holdout (tiny data): train on them all. */
		memcpy(xtr, xho, nho * nf * sizeof *xtr);
		memcpy(ytr, yho, nho * sizeof *ytr);
		ntr = nho;
		nho = 0;
	}
	if (logistic)
		for (size_t i = 0; i < ntr; i++)
			if (ytr[i] < 0 || ytr[i] > 1) {
				snprintf(err, errlen,
					 "label '%s' is %g: binary:logistic needs 0/1 (or true/false)",
					 def->label, (double)ytr[i]);
				rc = -EINVAL;
				goto out;
			}
	res->train_rows = ntr;
	res->holdout_rows = nho;
	if (XGDMatrixCreateFromMat(xtr, ntr, nf, NAN, &dtrain) != 0 ||
	    XGDMatrixSetFloatInfo(dtrain, "label", ytr, ntr) != 0) {
		rc = xgb_fail(err, errlen, "cannot build the training matrix");
		goto out;
	}
	if (XGBoosterCreate(&dtrain, 1, &b) != 0) {
		rc = xgb_fail(err, errlen, "cannot create the booster");
		goto out;
	}
	if ((!has_param(def, "objective") && XGBoosterSetParam(b, "objective", def->objective) != 0) ||
	    (!has_param(def, "verbosity") && XGBoosterSetParam(b, "verbosity", "0") != 0)) {
		rc = xgb_fail(err, errlen, "parameter");
		goto out;
	}
	for (unsigned i = 0; i < def->nparams; i++)
		if (XGBoosterSetParam(b, def->params[i].key, def->params[i].value) != 0) {
			char what[128];

			snprintf(what, sizeof what, "parameter '%s'", def->params[i].key);
			rc = xgb_fail(err, errlen, what);
			goto out;
		}
	for (int it = 0; it < def->num_round; it++)
		if (XGBoosterUpdateOneIter(b, it, dtrain) != 0) {
			rc = xgb_fail(err, errlen, "training");
			goto out;
		}
	/* The metric: on the holdout, or on the training rows when there is none. */
	{
		const float *x = nho ? xho : xtr, *y = nho ? yho : ytr;
		size_t n = nho ? nho : ntr;

		res->on_training_rows = nho == 0;
		rc = predict_rows(b, x, n, nf, pred, err, errlen);
		if (rc != 0)
			goto out;
		res->metric = logistic ? pl_auc(pred, y, n) : pl_rmse(pred, y, n);
	}
	if (model_path) {
		const char *buf;
		bst_ulong len;

		if (XGBoosterSaveModelToBuffer(b, "{\"format\": \"json\"}", &len, &buf) != 0) {
			rc = xgb_fail(err, errlen, "cannot serialise the model");
			goto out;
		}
		rc = base_fs_file_replace(model_path, buf, (size_t)len, BASE_MODE_FILE);
		if (rc != 0)
			snprintf(err, errlen, "cannot write model '%s': %s", model_path, strerror(-rc));
	}
out:
	if (b)
		XGBoosterFree(b);
	if (dtrain)
		XGDMatrixFree(dtrain);
	free(xtr);
	free(ytr);
	free(xho);
	free(yho);
	free(pred);
	return rc;
}

int pl_model_predict(const char *model_path, const pl_dataset *ds, float **scores, char *err,
		     size_t errlen)
{
	BoosterHandle b = NULL;
	bst_ulong nfeat = 0;
	char *buf = NULL;
	size_t len;
	float *out = NULL;
	int rc;

	*scores = NULL;
	rc = pl_read_file(model_path, &buf, &len);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read model '%s': %s", model_path, strerror(-rc));
		return rc;
	}
	if (XGBoosterCreate(NULL, 0, &b) != 0) {
		rc = xgb_fail(err, errlen, "cannot create the booster");
		goto out;
	}
	if (XGBoosterLoadModelFromBuffer(b, buf, len) != 0) {
		char what[PATH_MAX + 32];

		snprintf(what, sizeof what, "cannot load model '%s'", model_path);
		rc = xgb_fail(err, errlen, what);
		goto out;
	}
	if (XGBoosterGetNumFeature(b, &nfeat) == 0 && nfeat != ds->nfeatures) {
		snprintf(err, errlen, "model '%s' has %llu features, the definition lists %u",
			 model_path, (unsigned long long)nfeat, ds->nfeatures);
		rc = -EINVAL;
		goto out;
	}
	out = malloc((ds->nrows ? ds->nrows : 1) * sizeof *out);
	if (out == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (ds->nrows)
		rc = predict_rows(b, ds->x, ds->nrows, ds->nfeatures, out, err, errlen);
	if (rc == 0) {
		*scores = out;
		out = NULL;
	}
out:
	if (b)
		XGBoosterFree(b);
	free(buf);
	free(out);
	return rc;
}
