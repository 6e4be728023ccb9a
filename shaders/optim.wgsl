// Optimizer updates in place, one invocation per element of a flat parameter tensor (all of
// a network's parameters in one arena). The formulas follow PyTorch 1.13's single-tensor
// torch.optim.Adam/AdamW, SGD and RMSprop operation by operation, in float32. Every
// hyperparameter comes from a uniform buffer of 3 vec4 (layouts in gpu/optim.go), so a new
// learning rate or step count needs no new pipeline. Constant: N (elements).
//
// Bindings: 0 the parameters, 1 the gradients, 2 the hyperparameters, 3... the state.

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<uniform> h: array<vec4<f32>, 3>;
@group(0) @binding(3) var<storage, read_write> s3: array<f32>;
@group(0) @binding(4) var<storage, read_write> s4: array<f32>;
@group(0) @binding(5) var<storage, read_write> s5: array<f32>;

// ---- Adam / AdamW: m (3), v (4) ----
// h[0] = (beta1, 1-beta1, beta2, 1-beta2)
// h[1] = (eps, coupled weight decay (0 for AdamW), lr/bc1, sqrt(bc2))
// h[2] = (1 - lr·wd for AdamW else 1, lr, bc1, bc2; the last three for reading back only)

@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let h0 = h[0];
    let h1 = h[1];
    // AdamW: param.mul_(1 - lr*wd) before anything else (a factor 1 for Adam).
    let w = p[i] * h[2].x;
    var d = g[i];
    // Adam: grad = grad.add(param, alpha=wd)
    if (h1.y != 0.0) { d = d + h1.y * w; }
    // exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
    let m = s3[i] * h0.x + h0.y * d;
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)
    let v = s4[i] * h0.z + h0.w * d * d;
    s3[i] = m;
    s4[i] = v;
    // denom = (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps); param.addcdiv_(exp_avg, denom, value=-lr/bc1)
    let denom = sqrt(v) / h1.w + h1.x;
    p[i] = w + (-h1.z) * (m / denom);
}

// ---- SGD: sgd binds no state; sgd_momentum binds the momentum buffer (3) ----
// h[0] = (lr, momentum, 1-dampening, weight decay)
// h[1] = (nesterov 0/1, first step 0/1, 0, 0)

// sgd_grad is the gradient with weight decay: d_p = d_p.add(param, alpha=wd).
fn sgd_grad(i: u32, w: f32) -> f32 {
    var d = g[i];
    if (h[0].w != 0.0) { d = d + h[0].w * w; }
    return d;
}

// Plain SGD, no momentum buffer: param.add_(d_p, alpha=-lr).
@compute @workgroup_size(64)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let w = p[i];
    p[i] = w + (-h[0].x) * sgd_grad(i, w);
}

@compute @workgroup_size(64)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let h0 = h[0];
    let h1 = h[1];
    let w = p[i];
    var d = sgd_grad(i, w);
    if (h0.y != 0.0) {
        // First step: buf = clone(d_p); later: buf.mul_(momentum).add_(d_p, alpha=1-dampening).
        var b = d;
        if (h1.y == 0.0) { b = s3[i] * h0.y + h0.z * d; }
        s3[i] = b;
        if (h1.x != 0.0) {
            d = d + h0.y * b; // nesterov: d_p = d_p.add(buf, alpha=momentum)
        } else {
            d = b;
        }
    }
    p[i] = w + (-h0.x) * d;
}

// ---- RMSprop: square_avg (3), then the momentum buffer and/or grad_avg ----
// h[0] = (lr, alpha, 1-alpha, eps)
// h[1] = (weight decay, momentum, 0, 0)
// rmsprop: no more bindings; rmsprop_momentum: buf (4); rmsprop_centered: grad_avg (4);
// rmsprop_centered_momentum: grad_avg (4), buf (5).

// rms_grad is the gradient with weight decay: grad = grad.add(param, alpha=wd).
fn rms_grad(i: u32, w: f32) -> f32 {
    var d = g[i];
    if (h[1].x != 0.0) { d = d + h[1].x * w; }
    return d;
}

// rms_square updates square_avg: square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha).
fn rms_square(i: u32, d: f32) -> f32 {
    let s = s3[i] * h[0].y + h[0].z * d * d;
    s3[i] = s;
    return s;
}

@compute @workgroup_size(64)
fn rmsprop(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let w = p[i];
    let d = rms_grad(i, w);
    let avg = sqrt(rms_square(i, d)) + h[0].w;
    p[i] = w + (-h[0].x) * (d / avg); // param.addcdiv_(grad, avg, value=-lr)
}

@compute @workgroup_size(64)
fn rmsprop_momentum(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let w = p[i];
    let d = rms_grad(i, w);
    let avg = sqrt(rms_square(i, d)) + h[0].w;
    if (h[1].y > 0.0) {
        // buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
        let b = s4[i] * h[1].y + d / avg;
        s4[i] = b;
        p[i] = w + (-h[0].x) * b;
    } else {
        p[i] = w + (-h[0].x) * (d / avg);
    }
}

// rms_centered_avg updates grad_avg (in s4) and returns
// square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(eps).
fn rms_centered_avg(i: u32, d: f32) -> f32 {
    let s = rms_square(i, d);
    let a = s4[i] * h[0].y + h[0].z * d; // grad_avg.mul_(alpha).add_(grad, alpha=1-alpha)
    s4[i] = a;
    return sqrt(s + (-a) * a) + h[0].w;
}

@compute @workgroup_size(64)
fn rmsprop_centered(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let w = p[i];
    let d = rms_grad(i, w);
    let avg = rms_centered_avg(i, d);
    p[i] = w + (-h[0].x) * (d / avg);
}

@compute @workgroup_size(64)
fn rmsprop_centered_momentum(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let w = p[i];
    let d = rms_grad(i, w);
    let avg = rms_centered_avg(i, d);
    if (h[1].y > 0.0) {
        let b = s5[i] * h[1].y + d / avg;
        s5[i] = b;
        p[i] = w + (-h[0].x) * b;
    } else {
        p[i] = w + (-h[0].x) * (d / avg);
    }
}
